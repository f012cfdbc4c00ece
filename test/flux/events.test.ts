import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { envKey, fluxEventBody, postFluxEvent, sign } from '../support/flux.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const KEY = 'flux-hmac-key-for-tests';
const cm = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

describe('Flux events move releases to succeeded or failed', () => {
  let t: TestStack;
  let env = 0;
  beforeAll(async () => {
    t = await startTestStack({ fluxHmacKey: KEY });
  }, 60_000);
  afterAll(async () => t?.close());

  /** A fresh environment per test, so verdicts of one test never settle another's releases. */
  const newEnv = () => `env${++env}`;

  async function deploy(envName: string, app: string, value = app): Promise<{ id: string; sha: string }> {
    const shipped = await t.ship(artifact({}, [{ app, env: envName, manifests: cm(app, value) }]));
    const created = await t.request('POST', '/api/releases', {
      body: { env: envName, app, artifactId: shipped.id },
    });
    expect(created.status).toBe(201);
    const committed = await waitFor(created.body.id, (r) => r.state === 'committed' || r.state === 'failed');
    expect(committed.state).toBe('committed');
    return { id: created.body.id, sha: committed.gitopsSha };
  }

  const waitFor = (id: string, ok: (r: any) => boolean, timeoutMs?: number) => t.waitFor(id, ok, timeoutMs);

  /** Posts signed as notification-controller does. */
  async function send(envName: string, input: Parameters<typeof fluxEventBody>[0], query = `env=${envName}`) {
    const body = fluxEventBody(input);
    const res = await postFluxEvent(t.url, body, { signature: sign(body, envKey(KEY, envName)), query });
    expect(res.status).toBe(200);
    return { ...res, eventId: createHash('sha256').update(body).digest('hex').slice(0, 32) };
  }

  let markers = 0;
  /**
   * Waits, by state, until the status processor has applied every event sent to `envName` so far: it
   * reads the table's stream in order, so once a Progressing event sent last has moved a fresh marker
   * release to `reconciling`, the events sent before it were applied too.
   */
  async function appliedSoFar(envName: string): Promise<void> {
    const marker = await deploy(envName, `marker-${++markers}`);
    await send(envName, {
      reason: 'Progressing',
      message: 'ConfigMap/default/marker configured',
      metadata: { revision: `main@sha1:${marker.sha}` },
    });
    await waitFor(marker.id, (r) => r.state === 'reconciling');
  }

  const stateOf = async (id: string) => (await t.request('GET', `/api/releases/${id}`)).body;

  it('Progressing → reconciling, Health check passed → succeeded; a late Progressing changes nothing', async () => {
    const e = newEnv();
    const { id, sha } = await deploy(e, 'web');
    await send(e, {
      reason: 'Progressing',
      message: 'ConfigMap/default/web configured',
      metadata: { revision: `main@sha1:${sha}` },
    });
    expect((await waitFor(id, (r) => r.state === 'reconciling')).done).toBe(false);
    await send(e, {
      reason: 'Progressing',
      message: 'Health check passed in 2.1s',
      metadata: { revision: `main@sha1:${sha}` },
    });
    const done = await waitFor(id, (r) => r.state === 'succeeded');
    expect(done).toMatchObject({ done: true, outcome: 'success', reason: 'Health check passed in 2.1s' });
    await send(e, {
      reason: 'Progressing',
      message: 'ConfigMap/default/web configured',
      metadata: { revision: `main@sha1:${sha}` },
      timestamp: '2026-11-23T09:10:00Z',
    });
    await appliedSoFar(e);
    const after = await stateOf(id);
    expect(after.state).toBe('succeeded');
    expect(after.states.map((s: any) => s.state)).toEqual([
      'requested',
      'queued',
      'committed',
      'reconciling',
      'succeeded',
    ]);
    const track = await t.request('GET', `/api/eventReleaseTrack?id=${id}`);
    expect(track.body.results[0].gitopsCommitStatus).toBe('ReconciliationSucceeded');
  }, 60_000);

  it('a verdict for a later commit settles the earlier open commits it contains (legacy revision format)', async () => {
    const e = newEnv();
    const a = await deploy(e, 'api');
    const b = await deploy(e, 'worker');
    await send(e, {
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 3.2s, next run in 10m0s',
      metadata: { revision: `main/${b.sha}`, commit_status: 'update' },
    });
    await waitFor(a.id, (r) => r.state === 'succeeded');
    await waitFor(b.id, (r) => r.state === 'succeeded');
  });

  it('a failure carries Flux’s message; a newer revision’s success does not undo it', async () => {
    const e = newEnv();
    const a = await deploy(e, 'web');
    await send(e, {
      severity: 'error',
      reason: 'HealthCheckFailed',
      message:
        "health check failed after 30s: timeout waiting for: [Deployment/default/web status: 'InProgress']",
      metadata: { revision: `main@sha1:${a.sha}` },
    });
    const failed = await waitFor(a.id, (r) => r.state === 'failed');
    expect(failed).toMatchObject({ done: true, outcome: 'failure' });
    expect(failed.reason).toContain('HealthCheckFailed: health check failed after 30s');
    const b = await deploy(e, 'web', 'fixed');
    await send(e, {
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 1s',
      metadata: { revision: `main@sha1:${b.sha}` },
    });
    await waitFor(b.id, (r) => r.state === 'succeeded');
    expect((await stateOf(a.id)).state).toBe('failed');
    const track = await t.request('GET', `/api/eventReleaseTrack?id=${a.id}`);
    expect(track.body.results[0]).toMatchObject({ gitopsCommitStatus: 'ReconciliationFailed' });
  });

  it('out of order and twice: success first, then the earlier Progressing and a duplicate', async () => {
    const e = newEnv();
    const { id, sha } = await deploy(e, 'web');
    const success = {
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 1s',
      metadata: { revision: `main@sha1:${sha}` },
    };
    const first = await send(e, success);
    expect(first.body).toEqual({ status: 'accepted', env: e });
    const again = await send(e, success);
    expect(again.body).toEqual({ status: 'duplicate', env: e });
    await send(e, {
      reason: 'Progressing',
      message: 'ConfigMap/default/web configured',
      metadata: { revision: `main@sha1:${sha}` },
    });
    await appliedSoFar(e);
    const after = await stateOf(id);
    expect(after.state).toBe('succeeded');
    expect(after.states.map((s: any) => s.state)).toEqual(['requested', 'queued', 'committed', 'succeeded']);
  }, 60_000);

  it('a wrong X-Signature is 401 and changes nothing', async () => {
    const e = newEnv();
    const { id, sha } = await deploy(e, 'web');
    const body = fluxEventBody({
      reason: 'ReconciliationSucceeded',
      message: 'ok',
      metadata: { revision: `main@sha1:${sha}` },
    });
    const wrong = await postFluxEvent(t.url, body, {
      signature: sign(body, 'not-the-key'),
      query: `env=${e}`,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toContain('X-Signature');
    const tampered = await postFluxEvent(t.url, `${body} `, {
      signature: sign(body, envKey(KEY, e)),
      query: `env=${e}`,
    });
    expect(tampered.status).toBe(401);
    // Signed with another environment's key (a verdict replayed to this environment's URL).
    const other = await postFluxEvent(t.url, body, {
      signature: sign(body, envKey(KEY, `${e}x`)),
      query: `env=${e}`,
    });
    expect(other.status).toBe(401);
    const install = await postFluxEvent(t.url, body, { signature: sign(body, KEY), query: `env=${e}` });
    expect(install.status).toBe(401);
    const none = await postFluxEvent(t.url, body, { query: `env=${e}` });
    expect(none.status).toBe(401);
    // Nothing was stored, so the status processor has nothing to apply.
    expect((await stateOf(id)).state).toBe('committed');
    expect(await t.stack.deps.flux.environment(e)).toBeUndefined();
    // Until Flux has reported once for the environment, a commit is as far as a release is followed.
    expect((await stateOf(id)).done).toBe(true);
  });

  it('an OCI-delivered source reports the commit in originRevision; env may come from metadata', async () => {
    const e = newEnv();
    const { id, sha } = await deploy(e, 'web');
    await send(
      e,
      {
        reason: 'ReconciliationSucceeded',
        message: 'Reconciliation finished in 1s',
        metadata: { env: e, revision: `latest@sha256:${'c'.repeat(64)}`, originRevision: `main@sha1:${sha}` },
      },
      '',
    );
    await waitFor(id, (r) => r.state === 'succeeded');
  });

  it('a HelmRelease upgrade failure fails the app it names, once Flux applied its commit', async () => {
    const e = newEnv();
    const web = await deploy(e, 'web');
    const api = await deploy(e, 'api');
    await send(e, {
      reason: 'Progressing',
      message: 'HelmRelease/default/web configured',
      metadata: { revision: `main@sha1:${api.sha}` },
    });
    await waitFor(web.id, (r) => r.state === 'reconciling');
    await send(e, {
      kind: 'HelmRelease',
      name: 'web',
      namespace: 'default',
      severity: 'error',
      reason: 'UpgradeFailed',
      message:
        'Helm upgrade failed for release default/web with chart web@1.2.3: context deadline exceeded\n\nLast Helm logs:\n\nwaiting <Deployment>',
      metadata: { revision: '1.2.3', 'app-version': '1.2.3' },
    });
    const failed = await waitFor(web.id, (r) => r.state === 'failed');
    expect(failed.reason).toContain('UpgradeFailed: Helm upgrade failed for release default/web');
    expect(failed.reason).toContain('waiting <Deployment>');
    expect((await stateOf(api.id)).state).toBe('reconciling');
  });

  it('a revision made by someone else settles the Ferry commits under it', async () => {
    const e = newEnv();
    const { id } = await deploy(e, 'web');
    const repo = t.clone();
    repo.git(
      '-c',
      'user.name=ops',
      '-c',
      'user.email=ops@example.com',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'ops: tweak',
    );
    repo.git('push', '-q', 'origin', 'HEAD:main');
    const outside = repo.git('rev-parse', 'HEAD').trim();
    await send(e, {
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 1s',
      metadata: { revision: `main@sha1:${outside}` },
    });
    await waitFor(id, (r) => r.state === 'succeeded');
  });

  it('refuses events it cannot place: no env, an unknown field type, bad JSON (all 400, nothing stored)', async () => {
    const body = fluxEventBody({ reason: 'Progressing', message: 'x' });
    const noEnv = await postFluxEvent(t.url, body, { signature: sign(body, envKey(KEY, 'x')) });
    expect(noEnv.status).toBe(400);
    expect(noEnv.body.error.message).toContain('env: missing');
    const junk = 'not json';
    const bad = await postFluxEvent(t.url, junk, { signature: sign(junk, envKey(KEY, 'x')), query: 'env=x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('body: not valid JSON');
  });

  it('accepts a flux-role token instead of a signature; other roles and scopes are refused', async () => {
    const e = newEnv();
    const { id, sha } = await deploy(e, 'web');
    const flux = await t.request('POST', '/api/user', {
      body: { login: 'flux-bot', role: 'flux', environments: [e] },
    });
    const viewer = await t.request('POST', '/api/user', { body: { login: 'peeker', role: 'viewer' } });
    const body = fluxEventBody({
      reason: 'ReconciliationSucceeded',
      message: 'done',
      metadata: { revision: `main@sha1:${sha}` },
    });
    const asViewer = await postFluxEvent(t.url, body, {
      query: `env=${e}&access_token=${viewer.body.token}`,
    });
    expect(asViewer.status).toBe(403);
    const outOfScope = await postFluxEvent(t.url, body, {
      query: `env=other&access_token=${flux.body.token}`,
    });
    expect(outOfScope.status).toBe(403);
    const ok = await postFluxEvent(t.url, body, {
      query: `env=${e}`,
      headers: { authorization: `Bearer ${flux.body.token}` },
    });
    expect(ok.status).toBe(200);
    await waitFor(id, (r) => r.state === 'succeeded');
    const logged = t.logs.join('\n');
    expect(logged).not.toContain(flux.body.token);
    expect(logged).not.toContain(KEY);
  });

  it('env init commits the GitRepository, entry, Provider and Alert through the writer, with no key in git', async () => {
    const e = newEnv();
    const created = await t.request('POST', `/api/environments/${e}/init`, { body: {} });
    expect(created.status).toBe(201);
    const done = await waitFor(created.body.id, (r) => r.done);
    expect(done).toMatchObject({ state: 'committed', intent: 'init', app: 'flux' });
    const repo = t.clone();
    expect(repo.git('ls-tree', '-r', '--name-only', 'HEAD', `${e}/flux`).trim().split('\n')).toEqual([
      `${e}/flux/alert.yaml`,
      `${e}/flux/ferry.json`,
      `${e}/flux/provider.yaml`,
      `${e}/flux/sync.yaml`,
    ]);
    const provider = repo.git('show', `HEAD:${e}/flux/provider.yaml`);
    expect(provider).toContain('type: generic-hmac');
    expect(provider).toContain(`address: ${t.url}/api/flux-events?env=${e}`);
    expect(repo.git('show', `HEAD:${e}/flux/alert.yaml`)).toContain(`env: ${e}`);
    // git grep exits 1 when nothing matches: the key is nowhere in the repository.
    expect(() => repo.git('grep', '-q', KEY, 'HEAD')).toThrow(/Command failed/);
  });

  it('env init is for admins, validates its settings, and "flux" cannot be deployed as an app', async () => {
    const e = newEnv();
    const deployer = await t.request('POST', '/api/user', { body: { login: 'dep-init', role: 'deployer' } });
    const refused = await t.request('POST', `/api/environments/${e}/init`, {
      body: {},
      token: deployer.body.token,
    });
    expect(refused.status).toBe(403);
    const badUrl = await t.request('POST', `/api/environments/${e}/init`, {
      body: { url: 'https://u:p@x/' },
    });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.message).toContain('url: must not carry credentials');
    const badEnv = await t.request('POST', '/api/environments/Bad_Env/init', { body: {} });
    expect(badEnv.status).toBe(400);
    const flux = await t.request('POST', '/api/artifact', {
      body: artifact({}, [{ app: 'flux', env: e, manifests: cm('flux', 'x') }]),
    });
    expect(flux.status).toBe(400);
    expect(flux.body.error.message).toContain('"flux" is reserved');
  });
});
