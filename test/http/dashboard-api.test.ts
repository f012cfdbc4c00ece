import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

/** The read routes the dashboard is built on: who am I, the env × app matrix, the newest requests. */
describe('dashboard read routes', () => {
  let t: TestStack;
  let scoped: string;
  let viewer: string;
  const ids: Record<string, string> = {};
  let mainId = '';

  beforeAll(async () => {
    t = await startTestStack();
    scoped = (
      await t.request('POST', '/api/user', {
        body: { login: 'sam', role: 'deployer', environments: ['staging'] },
      })
    ).body.token;
    viewer = (await t.request('POST', '/api/user', { body: { login: 'vic', role: 'viewer' } })).body.token;
    const main = await t.ship(
      artifact({ tag: 'v2.0.0', event: 'tag' }, [
        { app: 'web', env: 'staging', manifests: cm('web') },
        { app: 'web', env: 'production', manifests: cm('web') },
      ]),
    );
    mainId = main.id;
    const pr = await t.ship(
      artifact({ event: 'pr', branch: 'feature-x' }, [
        { app: 'web', env: 'staging', preview: true, manifests: cm('web') },
      ]),
    );
    for (const [key, body] of [
      ['staging', { env: 'staging', app: 'web', artifactId: main.id }],
      ['production', { env: 'production', app: 'web', artifactId: main.id }],
      ['preview', { env: 'staging', artifactId: pr.id }],
    ] as const) {
      const res = await t.request('POST', '/api/releases', { body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids[key] = res.body.id;
    }
    await t.settleAll(Object.values(ids));
  }, 90_000);
  afterAll(async () => t?.close());

  it('GET /api/me names the caller and what its role may do', async () => {
    const me = await t.request('GET', '/api/me', { token: scoped });
    const asViewer = await t.request('GET', '/api/me', { token: viewer });
    const nobody = await t.request('GET', '/api/me', { token: 'ferry_unknown' });
    expect(me.body).toEqual({
      login: 'sam',
      role: 'deployer',
      environments: ['staging'],
      may: ['artifact:read', 'release:read', 'release:write'],
    });
    expect(asViewer.body.may).not.toContain('release:write');
    expect(nobody.status).toBe(401);
  });

  it('GET /api/environments lists every env × app with its version and state; previews are marked', async () => {
    const res = await t.request('GET', '/api/environments', { token: viewer });
    expect(res.status).toBe(200);
    const byEnv = Object.fromEntries(res.body.environments.map((e: any) => [e.env, e.apps]));
    expect(Object.keys(byEnv).sort()).toEqual(['production', 'staging']);
    const staging = Object.fromEntries(byEnv.staging.map((c: any) => [c.app, c]));
    expect(staging.web).toMatchObject({ env: 'staging', app: 'web', state: 'committed', preview: false });
    expect(staging.web.release.version.tag).toBe('v2.0.0');
    expect(staging['web-feature-x']).toMatchObject({ preview: true, state: 'committed' });
    // The kept files (for dry runs) never travel with the matrix.
    expect(JSON.stringify(res.body)).not.toContain('filesGz');
  });

  it('a token limited to environments sees only those, in the matrix and in the activity', async () => {
    const matrix = await t.request('GET', '/api/environments', { token: scoped });
    const recent = await t.request('GET', '/api/requests', { token: scoped });
    expect(matrix.body.environments.map((e: any) => e.env)).toEqual(['staging']);
    expect(new Set(recent.body.map((r: any) => r.env))).toEqual(new Set(['staging']));
    expect(recent.body.map((r: any) => r.id)).not.toContain(ids.production);
  });

  it('GET /api/requests returns the newest requests first with their timelines, and checks its limit', async () => {
    // The pull request's preview manifest also deploys by policy, whenever the stream gets to it: the
    // manual requests keep their order among the rest.
    const res = await t.request('GET', '/api/requests?limit=4', { token: viewer });
    expect(res.body).toHaveLength(4);
    const manual = res.body.filter((r: any) => !r.id.startsWith('policy-'));
    expect(manual.map((r: any) => r.id).slice(0, 2)).toEqual([ids.preview, ids.production]);
    const [newest] = manual;
    expect(newest.states[0].state).toBe('requested');
    expect(newest.states.at(-1).state).toBe(newest.state);
    const bad = await t.request('GET', '/api/requests?limit=0', { token: viewer });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('limit');
  });

  it('GET /api/releases/{id}/diff answers what the commit changed; none for a request that made no commit', async () => {
    const diff = await t.request('GET', `/api/releases/${ids.staging}/diff`, { token: viewer });
    expect(diff.status).toBe(200);
    expect(diff.body).toMatchObject({
      id: ids.staging,
      env: 'staging',
      app: 'web',
      intent: 'deploy',
      kept: true,
    });
    expect(diff.body.changes).toContainEqual({ path: 'staging/web/release.json', change: 'added' });
    expect(diff.body.diff).toContain('+++ b/staging/web/release.json');
    expect(diff.body.diff).toContain('+  name: web');
    // A token limited to staging reads staging's diffs only.
    expect((await t.request('GET', `/api/releases/${ids.staging}/diff`, { token: scoped })).status).toBe(200);
    expect((await t.request('GET', `/api/releases/${ids.production}/diff`, { token: scoped })).status).toBe(
      403,
    );
    // The same release again changes nothing: no commit, so no diff, said plainly.
    const again = await t.request('POST', '/api/releases', {
      body: { env: 'staging', app: 'web', artifactId: mainId },
    });
    expect((await t.settle(again.body.id)).state).toBe('unchanged');
    const none = await t.request('GET', `/api/releases/${again.body.id}/diff`);
    expect(none.status).toBe(404);
    expect(none.body.error.message).toContain('made no gitops commit (it is unchanged)');
    expect((await t.request('GET', '/api/releases/nope/diff')).status).toBe(404);
  });
});
