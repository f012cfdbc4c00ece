import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (measured on a 2-core machine), longest first: started last, one of them
 * would be the run's tail. Vitest orders by the durations it cached on an earlier run; a fresh checkout
 * (CI's `npm ci`) has no cache and would order by file size, which says little about waiting.
 */
const SLOWEST_FIRST = [
  'test/release/outside-writer.test.ts',
  'test/local/start.test.ts',
  'test/cdk/e2e.test.ts',
  'test/contract/gimlet-cli.test.ts',
  'test/flux/per-app.test.ts',
  'test/release/repo-path.test.ts',
  'test/durability/crash.test.ts',
  'test/http/authorization-matrix.test.ts',
  'test/release/governance.test.ts',
  'test/flux/events.test.ts',
  'test/ui/dashboard.test.ts',
  'test/contract/gimlet-shipper.test.ts',
  'test/release/api.test.ts',
  'test/http/openapi.test.ts',
  'test/policy/policies.test.ts',
];

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const at = SLOWEST_FIRST.findIndex((path) => spec.moduleId.endsWith(`/${path}`));
      return at === -1 ? SLOWEST_FIRST.length : at;
    };
    return sorted
      .map((spec, index) => ({ spec, index }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.index - b.index)
      .map(({ spec }) => spec);
  }
}
