import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/invoke-render.ts';
import { makeLambdaInvoke } from '../../lib/adapters/lambda/invoke.ts';
import { remoteManifests } from '../../lib/adapters/lambda/remote-manifests.ts';
import { type AutoReleaseDeps, releaseByPolicy } from '../../lib/app/auto-release.ts';
import { inProcessManifests } from '../../lib/app/manifests.ts';
import type { Manifests } from '../../lib/app/ports.ts';
import type { Artifact } from '../../lib/domain/artifact.ts';
import { DependencyError, UnavailableError, ValidationError } from '../../lib/domain/errors.ts';
import { RenderError } from '../../lib/domain/render/errors.ts';
import { selectTarget } from '../../lib/domain/targets.ts';
import { silentLogger } from '../../lib/log/logger.ts';
import { artifact } from '../fixtures/artifacts.ts';
import { testClock } from '../support/api.ts';
import { type LambdaApi, startLambdaApi } from '../support/lambda-api.ts';

const FN = 'Ferry-invoke-render-e5f6';
const configMap = (name: string, value = 'x') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

/** What a call threw, so the remote and the in-process refusal can be compared word for word. */
async function refusal(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

describe('checking and rendering in invoke-render, through Lambda’s Invoke API', () => {
  let lambda: LambdaApi;
  let remote: Manifests;

  beforeAll(async () => {
    // The function's real handler behind a local stand-in of the Invoke API.
    lambda = await startLambdaApi({ [FN]: (event) => handler(event) });
    const invoke = makeLambdaInvoke({
      region: 'eu-west-1',
      endpoint: lambda.endpoint,
      credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
    });
    remote = remoteManifests(invoke, FN);
  });
  afterAll(() => lambda?.close());

  it('answers an artifact and its rendered files exactly as the in-process code does', async () => {
    const body = artifact({}, [
      { app: 'web', env: 'staging', manifests: configMap('{{ .APP }}', '{{ .CI }}') },
    ]);
    const parsed = await remote.parseArtifact(body);
    expect(parsed).toEqual(await inProcessManifests.parseArtifact(body));
    const target = selectTarget(parsed, 'staging', 'web');
    const files = await remote.render(parsed, target);
    expect(files).toEqual(await inProcessManifests.render(parsed, target));
    expect(files.map((f) => f.name)).toContain('configmap-web.yaml');
    expect(lambda.calls.map((c) => [(c.payload as { op: string }).op, c.status])).toEqual([
      ['parseArtifact', 200],
      ['render', 200],
    ]);
    // The target travels without its resolved variables, which invoke-render derives from the artifact.
    const [, renderCall] = lambda.calls as [unknown, { payload: { target: object } }];
    expect(Object.keys(renderCall.payload.target).sort()).toEqual(['app', 'env', 'manifest']);
  });

  it('refuses what does not parse with the same 400 and the same words, not to be retried', async () => {
    const body = artifact({}, [{ app: 'web', env: 'staging', manifests: 'kind: [unclosed\n' }]);
    const here = await refusal(() => inProcessManifests.parseArtifact(body));
    const there = await refusal(() => remote.parseArtifact(body));
    expect(there).toBeInstanceOf(ValidationError);
    expect(there.message).toBe(here.message);
    expect(there.message).toMatch(/^environments\[0\]\.manifests: is not valid YAML/);
    expect((there as ValidationError).retryable).toBe(false);
  });

  it('refuses a target that does not render with the same words as the in-process RenderError', async () => {
    const parsed = await inProcessManifests.parseArtifact(
      artifact({}, [{ app: 'web', env: 'staging', manifests: configMap('web', '{{ .MISSING }}') }]),
    );
    const target = selectTarget(parsed, 'staging', 'web');
    const here = await refusal(() => inProcessManifests.render(parsed, target));
    expect(here).toBeInstanceOf(RenderError);
    const there = await refusal(() => remote.render(parsed, target));
    expect(there).toBeInstanceOf(ValidationError);
    expect(there.message).toBe(here.message);
  });

  it('carries variables and files of megabytes within what an invocation carries, or refuses them alike', async () => {
    // Variables that resolve to 1 MB (the request would be 1 MB larger if they travelled resolved) and a
    // manifest that renders them: 1 MB of files, answered; 5.4 MB is refused here and in process.
    const sized = async (chars: number) => {
      const parsed = await inProcessManifests.parseArtifact(
        artifact({}, [{ app: 'web', env: 'staging', manifests: configMap('web', '{{ .BIG }}') }]),
      );
      const big = { ...parsed, vars: { BIG: `{{ repeat ${chars} "x" }}` } };
      return { big, target: selectTarget(big, 'staging', 'web') };
    };
    const fits = await sized(1_000_000);
    expect(JSON.stringify(fits.target).length).toBeGreaterThan(1_000_000);
    const files = await remote.render(fits.big, fits.target);
    expect(files).toEqual(await inProcessManifests.render(fits.big, fits.target));
    expect(
      Math.max(...lambda.calls.map((c) => JSON.stringify(c.payload).length)),
      'no request carried the resolved variables',
    ).toBeLessThan(10_000);
    const over = await sized(1);
    const chained = { ...over.big, vars: { BIG: '{{ repeat 2700000 "é" }}' } };
    const overTarget = selectTarget(chained, 'staging', 'web');
    const here = await refusal(() => inProcessManifests.render(chained, overTarget));
    const there = await refusal(() => remote.render(chained, overTarget));
    expect(here).toBeInstanceOf(RenderError);
    expect(there).toBeInstanceOf(ValidationError);
    expect(there.message).toBe(here.message);
    expect(there.message).toMatch(
      /^environments\[staging\/web\]: renders \d+ bytes of files; an app may render at most 5242880$/,
    );
  });

  it('reports a failure of the render code itself as final, as in process, not as one to retry', async () => {
    const parsed = await inProcessManifests.parseArtifact(
      artifact({}, [{ app: 'web', env: 'staging', manifests: configMap('web') }]),
    );
    const target = selectTarget(parsed, 'staging', 'web');
    // A manifest the API never sends (not even a string): the pure code throws a TypeError, every time.
    const broken = { ...target, manifest: { ...target.manifest, manifests: 42 as unknown as string } };
    const there = await refusal(() => remote.render(parsed, broken));
    expect(there).toBeInstanceOf(DependencyError);
    expect((there as DependencyError).retryable).toBe(false);
    expect(there.message).toMatch(/^Ferry-invoke-render-e5f6: TypeError: /);
  });

  it('is unavailable, and retryable, when the function crashes or is throttled: never the input’s fault', async () => {
    const body = artifact({}, [{ app: 'web', env: 'staging', manifests: configMap('web') }]);
    lambda.failNext(FN, 1, 'Unhandled');
    const crashed = await refusal(() => remote.parseArtifact(body));
    expect(crashed).toBeInstanceOf(UnavailableError);
    expect((crashed as UnavailableError).retryable).toBe(true);
    lambda.failNext(FN, 1, 429);
    expect(await refusal(() => remote.parseArtifact(body))).toBeInstanceOf(UnavailableError);
    // The next call finds the function well again.
    expect((await remote.parseArtifact(body)).environments).toHaveLength(1);
  });

  it('a policy evaluation whose render could not run is tried again, not recorded as an invalid manifest', async () => {
    const parsed = await inProcessManifests.parseArtifact(
      artifact({ branch: 'main' }, [
        {
          app: 'web',
          env: 'staging',
          manifests: configMap('web'),
          deploy: { branch: 'main', event: 'push' },
        },
      ]),
    );
    const stored = { ...parsed, id: 'acme-api-1', created: 1 } as Artifact;
    const deps = (manifests: Manifests) =>
      ({
        manifests,
        rules: async () => [],
        releases: { status: async () => [], get: async () => undefined },
        clock: testClock(),
        logger: silentLogger,
      }) as unknown as AutoReleaseDeps;
    const down: Manifests = {
      ...inProcessManifests,
      render: async () => {
        throw new UnavailableError('invoking Ferry-invoke-render: TooManyRequestsException (429)');
      },
    };
    await expect(releaseByPolicy(deps(down), stored, { dryRun: true })).rejects.toBeInstanceOf(
      UnavailableError,
    );
    const [decision] = await releaseByPolicy(deps(remote), stored, { dryRun: true });
    expect(decision).toMatchObject({ matched: true, outcome: 'would-request' });
  });
});
