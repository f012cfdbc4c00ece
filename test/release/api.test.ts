import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

describe('release requests, rollback, delete and tracking', () => {
  let t: TestStack;
  const shipApp = (app: string, value: string, extra: Record<string, unknown> = {}) =>
    t.ship({ ...artifact({}, [{ app, env: 'staging', manifests: configMap(app, value) }]), ...extra });
  const deploy = async (app: string, artifactId: string) => {
    const res = await t.request('POST', '/api/releases', { body: { env: 'staging', app, artifactId } });
    expect(res).toMatchObject({ status: 201 });
    return t.settle(res.body.id);
  };

  beforeAll(async () => {
    t = await startTestStack();
  }, 60_000);
  afterAll(async () => t?.close());

  describe('refuses bad requests with a 4xx that names the problem, and writes nothing', () => {
    it.each([
      ['POST', '/api/releases', { env: '../x', artifactId: 'a' }, 400, 'env: must be a DNS-1123 label'],
      ['POST', '/api/releases', { env: 'staging', app: 'web/../../x', artifactId: 'a' }, 400, 'app: must be'],
      ['POST', '/api/releases', { env: 'staging' }, 400, 'artifactId: is required'],
      ['POST', '/api/releases', { env: 'staging', artifactId: 'nope' }, 404, 'artifact nope not found'],
      ['POST', '/api/releases', { env: 'staging', artifactId: 'a', force: true }, 400, 'force'],
      ['POST', '/api/rollback', { env: 'staging', app: '..', sha: 'a'.repeat(40) }, 400, 'app: must be'],
      ['POST', '/api/rollback', { env: 'staging', app: 'web', sha: 'abc1234' }, 400, 'full 40-character'],
      ['POST', '/api/delete', { env: 'Staging', app: 'web' }, 400, 'env: must be'],
      ['POST', '/api/delete', { env: 'staging' }, 400, 'app: is required'],
    ])('%s %s %j → %i', async (method, path, body, status, message) => {
      const res = await t.request(method, path, { body });
      expect(res.status).toBe(status);
      expect(res.body.error.message).toContain(message);
    });

    it('refuses the same key in the query and the body with different values', async () => {
      const res = await t.request('POST', '/api/delete?env=staging&app=a', {
        body: { env: 'prod', app: 'a' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(
        'env: given in both the query string and the body, with different values',
      );
    });
  });

  it('names the apps an artifact carries when the request names another', async () => {
    const shipped = await t.ship(
      artifact({}, [
        { app: 'web', env: 'staging', manifests: configMap('web', '1') },
        { app: 'worker', env: 'staging', manifests: configMap('worker', '1') },
        { app: 'web', env: 'production', manifests: configMap('web', '1') },
      ]),
    );
    const wrongApp = await t.request('POST', '/api/releases', {
      body: { env: 'staging', app: 'api', artifactId: shipped.id },
    });
    const ambiguous = await t.request('POST', '/api/releases', {
      body: { env: 'staging', artifactId: shipped.id },
    });
    expect(wrongApp.body.error.message).toBe(
      'app: the artifact has no manifest for staging/api; it carries staging/web, staging/worker, production/web',
    );
    expect(ambiguous.body.error.message).toBe(
      'app: the artifact has several apps for staging (web, worker); name one',
    );
  });

  it('fails only the manifest with a missing template variable; the others deploy', async () => {
    const shipped = await t.ship(
      artifact({}, [
        { app: 'good', env: 'staging', manifests: configMap('good', 'fine') },
        { app: 'broken', env: 'staging', manifests: configMap('broken', '{{ .IMAGE_TAG }}') },
      ]),
    );
    const broken = await t.request('POST', '/api/releases', {
      body: { env: 'staging', app: 'broken', artifactId: shipped.id },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toContain('template variable "IMAGE_TAG" is not set');
    expect((await deploy('good', shipped.id)).state).toBe('committed');
  });

  it('never turns a templated name into a path: ../x from a variable is no manifest at all', async () => {
    const shipped = await t.ship({
      ...artifact({}, [{ app: 'preview-{{ .BRANCH }}', env: 'staging', manifests: configMap('p', '1') }]),
      vars: { BRANCH: '../../etc' },
    });
    const res = await t.request('POST', '/api/releases', {
      body: { env: 'staging', artifactId: shipped.id },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('env: the artifact has no manifest for staging; it carries none');
    expect(t.clone().git('ls-tree', '-r', '--name-only', 'HEAD')).not.toContain('etc');
  });

  it('returns the first request for a repeated Idempotency-Key and refuses the key for another body', async () => {
    const shipped = await shipApp('idem', '1');
    const send = (artifactId: string) =>
      t.request('POST', '/api/releases', {
        body: { env: 'staging', app: 'idem', artifactId },
        headers: { 'idempotency-key': 'ci-run-42' },
      });
    const first = await send(shipped.id);
    const again = await send(shipped.id);
    const other = await send((await shipApp('idem', '2')).id);
    expect(first.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(other.status).toBe(409);
    expect(other.body.error.message).toBe(
      'Idempotency-Key "ci-run-42" was already used for a different request',
    );
  });

  it('rolls back to a release in one commit, holds the app, and marks what it undid', async () => {
    // Prepare: three releases of one app.
    const v1 = await deploy('shop', (await shipApp('shop', 'v1')).id);
    const v2 = await deploy('shop', (await shipApp('shop', 'v2')).id);
    const v3 = await deploy('shop', (await shipApp('shop', 'v3')).id);
    const oncall = await t.request('POST', '/api/user', { body: { login: 'oncall', role: 'deployer' } });
    // Act
    const res = await t.request('POST', `/api/rollback?env=staging&app=shop&sha=${v1.gitopsSha}`, {
      token: oncall.body.token,
    });
    const done = await t.settle(res.body.id);
    // Assess: git has v1's content back, in one new commit on top of v3.
    const repo = t.clone();
    expect(done.state).toBe('committed');
    expect(repo.git('rev-parse', 'HEAD^').trim()).toBe(v3.gitopsSha);
    expect(repo.git('diff', v1.gitopsSha, 'HEAD', '--', 'staging/shop')).toBe('');
    expect(repo.git('log', '-1', '--format=%B')).toContain(`Ferry-Rollback-To: ${v1.gitopsSha}`);
    const status = await t.request('GET', '/api/status?env=staging&app=shop');
    expect(status.body.shop).toMatchObject({ gitopsRef: done.gitopsSha, requestId: v1.id });
    expect(status.body.shop.hold).toMatchObject({ by: 'oncall', reason: `rolled back to ${v1.gitopsSha}` });
    const history = await t.request('GET', '/api/releases?env=staging&app=shop&limit=4');
    expect(
      history.body.map((r: any) => [r.intent, r.gitopsRef, r.triggeredBy, r.rolledBack ?? false]),
    ).toEqual([
      ['rollback', done.gitopsSha, 'oncall', false],
      ['deploy', v3.gitopsSha, 'admin', true],
      ['deploy', v2.gitopsSha, 'admin', true],
      ['deploy', v1.gitopsSha, 'admin', false],
    ]);
  });

  it('lifts a hold on a deliberate resume, and refuses a resume with nothing on hold', async () => {
    const v1 = await deploy('held', (await shipApp('held', 'v1')).id);
    await deploy('held', (await shipApp('held', 'v2')).id);
    await t.settle(
      (await t.request('POST', '/api/rollback', { body: { env: 'staging', app: 'held', sha: v1.gitopsSha } }))
        .body.id,
    );
    const resumed = await t.request('POST', '/api/resume', { body: { env: 'staging', app: 'held' } });
    const again = await t.request('POST', '/api/resume', { body: { env: 'staging', app: 'held' } });
    const status = await t.request('GET', '/api/status?env=staging&app=held');
    expect(resumed.status).toBe(200);
    expect(again).toMatchObject({ status: 404, body: { error: { message: 'staging/held is not on hold' } } });
    expect(status.body.held.hold).toBeUndefined();
  });

  it('refuses a rollback to a commit that never changed the app', async () => {
    const other = await deploy('other', (await shipApp('other', 'v1')).id);
    await deploy('mine', (await shipApp('mine', 'v1')).id);
    const res = await t.request('POST', '/api/rollback', {
      body: { env: 'staging', app: 'mine', sha: other.gitopsSha },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(
      `sha: ${other.gitopsSha} is not a commit that changed staging/mine`,
    );
  });

  it('deletes an app through the writer, and reports a second delete as unchanged', async () => {
    await deploy('gone', (await shipApp('gone', 'v1')).id);
    const first = await t.settle((await t.request('POST', '/api/delete?env=staging&app=gone')).body.id);
    const second = await t.settle((await t.request('POST', '/api/delete?env=staging&app=gone')).body.id);
    expect(first.state).toBe('committed');
    expect(t.clone().git('ls-tree', '-r', '--name-only', 'HEAD')).not.toContain('staging/gone/');
    expect(second).toMatchObject({
      state: 'unchanged',
      reason: 'staging/gone does not exist; nothing to delete',
    });
    expect((await t.request('GET', '/api/status?env=staging&app=gone')).body).toEqual({ gone: null });
  });

  it('tracks requests in the shape the gimlet CLI reads', async () => {
    const shipped = await shipApp('tracked', 'v1');
    const done = await deploy('tracked', shipped.id);
    const release = await t.request('GET', `/api/eventReleaseTrack?id=${done.id}`);
    const byArtifact = await t.request('GET', `/api/eventArtifactTrack?artifactId=${shipped.id}`);
    const expected = {
      status: 'processed',
      statusDesc: '',
      results: [
        {
          app: 'tracked',
          env: 'staging',
          hash: done.gitopsSha,
          status: 'success',
          statusDesc: '',
          gitopsCommitStatus: 'NotReconciled',
          gitopsCommitStatusDesc: '',
        },
      ],
    };
    expect(release.body).toEqual(expected);
    expect(byArtifact.body).toEqual(expected);
    expect((await t.request('GET', '/api/gitopsRepo')).body).toEqual({ gitopsRepo: t.stack.gitops.url });
  });

  it('lets a token scoped to staging deploy there and nowhere else; a viewer cannot deploy', async () => {
    const scoped = await t.request('POST', '/api/user', {
      body: { login: 'stager', role: 'deployer', environments: ['staging'] },
    });
    const viewer = await t.request('POST', '/api/user', { body: { login: 'watcher', role: 'viewer' } });
    const shipped = await t.ship(
      artifact({}, [
        { app: 'scoped', env: 'staging', manifests: configMap('s', '1') },
        { app: 'scoped', env: 'production', manifests: configMap('s', '1') },
      ]),
    );
    const as = (token: string, env: string) =>
      t.request('POST', '/api/releases', { token, body: { env, app: 'scoped', artifactId: shipped.id } });
    expect((await as(scoped.body.token, 'staging')).status).toBe(201);
    expect((await as(scoped.body.token, 'production')).status).toBe(403);
    expect((await as(viewer.body.token, 'staging')).status).toBe(403);
  });
});
