import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/invoke-render.ts';
import { makeLambdaInvoke } from '../../lib/adapters/lambda/invoke.ts';
import { remoteManifests } from '../../lib/adapters/lambda/remote-manifests.ts';
import { type AutoReleaseDeps, releaseByPolicy } from '../../lib/app/auto-release.ts';
import { inProcessManifests } from '../../lib/app/manifests.ts';
import type { Manifests } from '../../lib/app/ports.ts';
import type { Artifact } from '../../lib/domain/artifact.ts';
import { UnavailableError, ValidationError } from '../../lib/domain/errors.ts';
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
    const files = await remote.render(target);
    expect(files).toEqual(await inProcessManifests.render(target));
    expect(files.map((f) => f.name)).toContain('configmap-web.yaml');
    expect(lambda.calls.map((c) => [(c.payload as { op: string }).op, c.status])).toEqual([
      ['parseArtifact', 200],
      ['render', 200],
    ]);
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
    const here = await refusal(() => inProcessManifests.render(target));
    expect(here).toBeInstanceOf(RenderError);
    const there = await refusal(() => remote.render(target));
    expect(there).toBeInstanceOf(ValidationError);
    expect(there.message).toBe(here.message);
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
