import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyRequestId, releaseArtifacts } from '../../lib/app/auto-release.ts';
import { artifact } from '../fixtures/artifacts.ts';
import { envKey, fluxEventBody, postFluxEvent, sign } from '../support/flux.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const KEY = 'flux-hmac-key-for-poison-tests';
const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('a poison record never stops the pipeline', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({ fluxHmacKey: KEY });
  }, 60_000);
  afterAll(async () => t?.close());

  async function deploy(env: string, app: string) {
    const shipped = await t.ship(artifact({}, [{ app, env, manifests: cm(app) }]));
    const created = await t.request('POST', '/api/releases', { body: { env, app, artifactId: shipped.id } });
    expect(created.status).toBe(201);
    return waitState(created.body.id, ['committed', 'failed']);
  }

  async function waitState(id: string, states: string[]) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { body } = await t.request('GET', `/api/releases/${id}`);
      if (states.includes(body.state) || Date.now() > deadline) return body;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function send(env: string, input: Parameters<typeof fluxEventBody>[0]) {
    const body = fluxEventBody(input);
    const res = await postFluxEvent(t.url, body, {
      signature: sign(body, envKey(KEY, env)),
      query: `env=${env}`,
    });
    expect(res.status).toBe(200);
  }

  it('keeps settling releases after a Flux event without metadata and a verdict naming a tree sha', async () => {
    const first = await deploy('poison', 'web');
    expect(first.state).toBe('committed');
    const { git } = t.clone();
    const tree = git('rev-parse', 'HEAD^{tree}').trim();
    await send('poison', { reason: 'ReconciliationSucceeded', message: 'no metadata at all' });
    await send('poison', {
      reason: 'ReconciliationSucceeded',
      message: 'tree',
      metadata: { revision: `main@sha1:${tree}` },
    });
    await send('poison', {
      reason: 'ReconciliationSucceeded',
      message: 'Applied revision',
      metadata: { revision: `main@sha1:${first.gitopsSha}` },
    });
    expect((await waitState(first.id, ['succeeded'])).state).toBe('succeeded');
    const next = await deploy('poison', 'api');
    expect(next.state).toBe('committed');
    // The consumers judged both events permanent themselves: the poller's safety net never had to park one.
    expect(t.logs.filter((l) => l.includes('parked'))).toEqual([]);
  }, 40_000);

  it('records an auto-deploy whose manifest cannot be rendered as failed, with the reason, and moves on', async () => {
    const deep = `{{ ${'('.repeat(20_000)}.SHA${')'.repeat(20_000)} }}`;
    const shipped = await t.ship(
      artifact({}, [
        {
          app: 'deep',
          env: 'poison2',
          deploy: { branch: 'main', event: 'push' },
          manifests: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  v: "${deep}"\n`,
        },
      ]),
    );
    const id = policyRequestId(shipped.id, 'poison2', 'deep');
    const failed = await waitState(id, ['failed']);
    expect(failed).toMatchObject({ state: 'failed', done: true });
    expect(failed.reason).toMatch(/cannot render the manifest/);
    const next = await deploy('poison2', 'ok');
    expect(next.state).toBe('committed');
  }, 40_000);

  it('never evaluates an artifact twice: a replay under a newer policy releases nothing', async () => {
    const shipped = await t.ship(
      artifact({ branch: 'main' }, [{ app: 'late', env: 'replay', manifests: cm('late') }]),
    );
    const { artifacts, manifests, releases, clock, logger, rules } = t.stack.deps;
    const deps = { artifacts, manifests, releases, clock, logger, rules };
    // The stream's own evaluation found no policy for it.
    const deadline = Date.now() + 20_000;
    while (!(await artifacts.evaluation(shipped.id))?.evaluation) {
      if (Date.now() > deadline) throw new Error('artifact never evaluated');
      await new Promise((r) => setTimeout(r, 100));
    }
    const policy = await t.request('POST', '/api/policies', {
      body: { kind: 'auto-release', app: 'late', env: 'replay', branch: 'main' },
    });
    expect(policy.status).toBe(201);
    // The same record again (a restart from TRIM_HORIZON, a replaced consumer): nothing is requested.
    expect(await releaseArtifacts(deps, [shipped.id])).toEqual([]);
    expect(await t.stack.deps.releases.forArtifact(shipped.id)).toEqual([]);
  });

  it('does not retry a policy evaluation that fails for a reason a retry cannot change', async () => {
    const shipped = await t.ship(artifact({}, [{ app: 'x', env: 'poison3', manifests: cm('x') }]));
    const { artifacts, manifests, releases, clock, logger } = t.stack.deps;
    const rules = async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'kind')");
    };
    expect(
      await releaseArtifacts({ artifacts, manifests, releases, clock, logger, rules }, [shipped.id]),
    ).toEqual([]);
    const throttled = async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' });
    };
    expect(
      await releaseArtifacts({ artifacts, manifests, releases, clock, logger, rules: throttled }, [
        shipped.id,
      ]),
    ).toEqual([shipped.id]);
  });
});
