import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntry } from '../../lib/app/audit.ts';
import { issueToken } from '../../lib/app/tokens.ts';
import type { Role } from '../../lib/domain/access.ts';
import { ROUTES } from '../../lib/http/routes.ts';
import { artifact } from '../fixtures/artifacts.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

/**
 * The authorization matrix: every route of lib/http/routes.ts × every role × unscoped / limited to
 * `staging`, against a target in `production`. The expectations are written here, independently of
 * lib/domain/access.ts, as the contract: a route added without an entry fails the first test.
 */
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n';
/** token: any valid token, whatever its role. */
type Need =
  | 'open'
  | 'token'
  | 'artifact:read'
  | 'artifact:write'
  | 'release:read'
  | 'release:write'
  | 'admin';
/** install: never for a limited token; env: only inside the limit; listing: allowed, narrowed to the limit. */
type Reach = 'install' | 'env' | 'listing';

const GRANTS: Record<Role, readonly Need[]> = {
  admin: ['artifact:read', 'artifact:write', 'release:read', 'release:write', 'admin'],
  deployer: ['artifact:read', 'release:read', 'release:write'],
  ci: ['artifact:read', 'artifact:write', 'release:read', 'release:write'],
  flux: [],
  viewer: ['artifact:read', 'release:read'],
};

interface Fixture {
  artifactId: string;
  requestIn: Record<string, string>;
}

interface Case {
  need: Need;
  reach: Reach;
  call(env: string, f: Fixture): { method?: string; path: string; body?: unknown };
}

const MATRIX: Record<string, Case> = {
  'GET /': { need: 'open', reach: 'listing', call: () => ({ path: '/' }) },
  'GET /api/openapi.json': { need: 'open', reach: 'listing', call: () => ({ path: '/api/openapi.json' }) },
  'GET /ui': { need: 'open', reach: 'listing', call: () => ({ path: '/ui' }) },
  'GET /ui/{path+}': { need: 'open', reach: 'listing', call: () => ({ path: '/ui/' }) },
  'GET /api/me': { need: 'token', reach: 'listing', call: () => ({ path: '/api/me' }) },
  'GET /api/environments': {
    need: 'release:read',
    reach: 'listing',
    call: () => ({ path: '/api/environments' }),
  },
  'GET /api/requests': { need: 'release:read', reach: 'listing', call: () => ({ path: '/api/requests' }) },
  'POST /api/artifact': {
    need: 'artifact:write',
    reach: 'env',
    call: (env) => ({ path: '/api/artifact', body: artifact({}, [{ app: 'api', env, manifests: CM }]) }),
  },
  'GET /api/artifacts': { need: 'artifact:read', reach: 'listing', call: () => ({ path: '/api/artifacts' }) },
  'GET /api/artifacts/{id+}': {
    need: 'artifact:read',
    reach: 'listing',
    call: (_, f) => ({ path: `/api/artifacts/${f.artifactId}` }),
  },
  'POST /api/user': {
    need: 'admin',
    reach: 'install',
    call: () => ({ path: '/api/user', body: { login: `u${Math.random().toString(36).slice(2)}` } }),
  },
  'GET /api/users': { need: 'admin', reach: 'install', call: () => ({ path: '/api/users' }) },
  'GET /api/user/{login}': {
    need: 'admin',
    reach: 'install',
    call: () => ({ path: '/api/user/victim?withToken=true' }),
  },
  'DELETE /api/user/{login}': { need: 'admin', reach: 'install', call: () => ({ path: '/api/user/nobody' }) },
  'GET /api/audit': { need: 'admin', reach: 'install', call: () => ({ path: '/api/audit' }) },
  'POST /api/releases': {
    need: 'release:write',
    reach: 'env',
    call: (env, f) => ({ path: '/api/releases', body: { env, app: 'api', artifactId: f.artifactId } }),
  },
  'GET /api/releases': {
    need: 'release:read',
    reach: 'env',
    call: (env) => ({ path: `/api/releases?env=${env}` }),
  },
  'GET /api/releases/{id}': {
    need: 'release:read',
    reach: 'env',
    call: (env, f) => ({ path: `/api/releases/${f.requestIn[env]}` }),
  },
  'GET /api/releases/{id}/diff': {
    need: 'release:read',
    reach: 'env',
    call: (env, f) => ({ path: `/api/releases/${f.requestIn[env]}/diff` }),
  },
  'POST /api/releases/{id}/requeue': {
    need: 'release:write',
    reach: 'env',
    call: (env, f) => ({ path: `/api/releases/${f.requestIn[env]}/requeue` }),
  },
  'POST /api/rollback': {
    need: 'release:write',
    reach: 'env',
    call: (env) => ({ path: '/api/rollback', body: { env, app: 'api', sha: 'a'.repeat(40) } }),
  },
  'POST /api/delete': {
    need: 'release:write',
    reach: 'env',
    call: (env) => ({ path: '/api/delete', body: { env, app: 'api' } }),
  },
  'POST /api/resume': {
    need: 'release:write',
    reach: 'env',
    call: (env) => ({ path: '/api/resume', body: { env, app: 'api' } }),
  },
  'GET /api/status': {
    need: 'release:read',
    reach: 'env',
    call: (env) => ({ path: `/api/status?env=${env}` }),
  },
  'GET /api/eventReleaseTrack': {
    need: 'release:read',
    reach: 'env',
    call: (env, f) => ({ path: `/api/eventReleaseTrack?id=${f.requestIn[env]}` }),
  },
  'GET /api/eventArtifactTrack': {
    need: 'release:read',
    reach: 'listing',
    call: (_, f) => ({ path: `/api/eventArtifactTrack?artifactId=${f.artifactId}` }),
  },
  'GET /api/gitopsRepo': {
    need: 'release:read',
    reach: 'listing',
    call: () => ({ path: '/api/gitopsRepo' }),
  },
  'POST /api/environments/{env}/init': {
    need: 'admin',
    reach: 'install',
    call: (env) => ({
      path: `/api/environments/${env}/init`,
      body: { url: 'https://ferry.example/api/flux-events' },
    }),
  },
  'GET /api/policies': { need: 'release:read', reach: 'listing', call: () => ({ path: '/api/policies' }) },
  'POST /api/policies': {
    need: 'release:write',
    reach: 'env',
    call: (env) => ({
      path: '/api/policies',
      body: { kind: 'auto-release', app: 'api', env, branch: 'main' },
    }),
  },
  'POST /api/policies/evaluate': {
    need: 'release:read',
    reach: 'listing',
    call: (_, f) => ({ path: '/api/policies/evaluate', body: { artifactId: f.artifactId } }),
  },
  'DELETE /api/policies/{id}': {
    need: 'release:write',
    reach: 'env',
    call: (env) => ({ path: `/api/policies/auto-release.api.${env}` }),
  },
  'GET /api/governance': {
    need: 'release:read',
    reach: 'listing',
    call: () => ({ path: '/api/governance' }),
  },
  'POST /api/halts': {
    need: 'release:write',
    reach: 'env',
    call: (env) => ({ path: '/api/halts', body: { env, reason: 'matrix' } }),
  },
  'DELETE /api/halts/{env}': {
    need: 'release:write',
    reach: 'env',
    call: (env) => ({ path: `/api/halts/${env}` }),
  },
  'POST /api/freezes': {
    need: 'admin',
    reach: 'install',
    call: (env) => ({
      path: '/api/freezes',
      body: { id: 'matrix', env, reason: 'matrix', start: '2020-01-01T00:00', duration: 'PT1M' },
    }),
  },
  'DELETE /api/freezes/{id}': {
    need: 'admin',
    reach: 'install',
    call: () => ({ path: '/api/freezes/none' }),
  },
  'POST /api/approval-rules': {
    need: 'admin',
    reach: 'install',
    call: () => ({ path: '/api/approval-rules', body: { env: 'elsewhere', required: 1, group: 'g' } }),
  },
  'DELETE /api/approval-rules/{env}': {
    need: 'admin',
    reach: 'install',
    call: () => ({ path: '/api/approval-rules/nowhere' }),
  },
  // No approval rule governs these environments: an allowed call is a 409, never a 403.
  'POST /api/releases/{id}/approve': {
    need: 'release:read',
    reach: 'env',
    call: (env, f) => ({ path: `/api/releases/${f.requestIn[env]}/approve`, body: {} }),
  },
  'POST /api/releases/{id}/reject': {
    need: 'release:read',
    reach: 'env',
    call: (env, f) => ({ path: `/api/releases/${f.requestIn[env]}/reject`, body: {} }),
  },
  'POST /api/releases/{id}/override': {
    need: 'admin',
    reach: 'install',
    call: (env, f) => ({ path: `/api/releases/${f.requestIn[env]}/override`, body: { reason: 'matrix' } }),
  },
  // Signed by Slack, not by a token: without a signing secret it refuses everyone alike (401).
  'POST /api/slack/interactions': {
    need: 'open',
    reach: 'listing',
    call: () => ({ path: '/api/slack/interactions', body: {} }),
  },
  // Authenticated by the OIDC token in the body: a Ferry token changes nothing (test/http/oidc.test.ts).
  'POST /api/token/oidc': {
    need: 'open',
    reach: 'listing',
    call: () => ({ path: '/api/token/oidc', body: { token: 'a.b.c' } }),
  },
  'POST /api/github-webhook': {
    need: 'open',
    reach: 'listing',
    call: () => ({ path: '/api/github-webhook', body: {} }),
  },
};

/** What the contract says: refused (403), or let through to the handler (anything but 401/403). */
function expected(role: Role, scoped: boolean, c: Case, env: string): 'refused' | 'through' | 'token-blind' {
  if (c.need === 'open') return 'token-blind';
  if (c.need === 'token') return 'through';
  if (!GRANTS[role].includes(c.need)) return 'refused';
  if (!scoped) return 'through';
  if (c.reach === 'install') return 'refused';
  if (c.reach === 'env' && env !== 'staging') return 'refused';
  return 'through';
}

describe('authorization matrix', () => {
  let api: TestApi;
  const tokens = new Map<string, string>();
  const fixture: Fixture = { artifactId: '', requestIn: {} };
  const roles: Role[] = ['admin', 'deployer', 'ci', 'flux', 'viewer'];

  beforeAll(async () => {
    api = await startTestApi();
    const admin = { token: api.adminToken };
    for (const role of roles) {
      tokens.set(`${role}`, await api.userToken(`${role}-all`, { role }));
      if (role === 'admin') continue;
      tokens.set(
        `${role}+staging`,
        await api.userToken(`${role}-staging`, { role, environments: ['staging'] }),
      );
    }
    // A limited admin can no longer be created; one left from before must still be confined.
    const issued = issueToken();
    const call = {
      principal: { login: 'admin', role: 'admin' as const, tokenId: 'x' },
      requestId: 'r',
      clock: api.deps.clock,
    };
    const legacy = { login: 'admin-staging', role: 'admin' as const, environments: ['staging'] };
    await api.deps.users.create(
      { ...legacy, createdAt: new Date().toISOString(), createdBy: 'admin', tokenId: issued.id },
      issued.hash,
      auditEntry(call, 'user.create', legacy.login),
    );
    tokens.set('admin+staging', issued.token);
    await api.userToken('victim', { role: 'viewer' });
    const shipped = await api.request('POST', '/api/artifact', {
      ...admin,
      body: artifact({}, [
        { app: 'api', env: 'staging', manifests: CM },
        { app: 'api', env: 'production', manifests: CM },
      ]),
    });
    fixture.artifactId = shipped.body.id;
    for (const env of ['staging', 'production']) {
      const created = await api.request('POST', '/api/releases', {
        ...admin,
        body: { env, app: 'api', artifactId: fixture.artifactId },
      });
      if (created.status !== 201) throw new Error(`fixture ${env}: ${JSON.stringify(created.body)}`);
      fixture.requestIn[env] = created.body.id;
    }
  }, 60_000);
  afterAll(() => api?.close());

  it('has an entry for every route, and no entry for a route that does not exist', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(ROUTES.map((r) => r.routeKey).sort());
  });

  it('refuses exactly what the matrix refuses, for every route × role × scope', async () => {
    const wrong: string[] = [];
    const openStatus = new Map<string, Set<number>>();
    let calls = 0;
    for (const [routeKey, c] of Object.entries(MATRIX)) {
      const [method = 'GET'] = routeKey.split(' ');
      for (const role of roles) {
        for (const scoped of [false, true]) {
          for (const env of scoped ? ['production', 'staging'] : ['production']) {
            const token = tokens.get(scoped ? `${role}+staging` : role) as string;
            const r = c.call(env, fixture);
            // Re-create what an allowed call may have removed, so the next call meets the same state.
            if (routeKey === 'DELETE /api/policies/{id}') {
              await api.request('POST', '/api/policies', {
                token: api.adminToken,
                body: { kind: 'auto-release', app: 'api', env, branch: 'main' },
              });
            }
            const res = await api.request(method, r.path, { token, ...(r.body ? { body: r.body } : {}) });
            calls += 1;
            const got = res.status === 401 || res.status === 403 ? 'refused' : 'through';
            const want = expected(role, scoped, c, env);
            if (want === 'token-blind') {
              // Public routes (health, the signed webhook) answer the same whatever token comes along.
              openStatus.set(routeKey, (openStatus.get(routeKey) ?? new Set()).add(res.status));
              continue;
            }
            if (got !== want || res.status >= 500) {
              wrong.push(
                `${routeKey} ${role}${scoped ? '+staging' : ''} → ${env}: ${res.status} (want ${want})`,
              );
            }
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    for (const [routeKey, statuses] of openStatus) expect([routeKey, statuses.size]).toEqual([routeKey, 1]);
    expect(calls).toBeGreaterThan(300);
  }, 120_000);

  it('keeps the scaffolding (<env>/flux/) to admins for every verb', async () => {
    const verbs = [
      { path: '/api/delete', body: { env: 'staging', app: 'flux' } },
      { path: '/api/rollback', body: { env: 'staging', app: 'flux', sha: 'a'.repeat(40) } },
      { path: '/api/resume', body: { env: 'staging', app: 'flux-system' } },
      { path: '/api/delete', body: { env: 'staging', app: 'flux-system' } },
    ];
    for (const verb of verbs) {
      for (const role of ['deployer', 'ci'] as const) {
        const res = await api.request('POST', verb.path, {
          token: tokens.get(role) as string,
          body: verb.body,
        });
        expect(res.status, `${role} ${verb.path} ${verb.body.app}`).toBe(403);
      }
      const asAdmin = await api.request('POST', verb.path, { token: api.adminToken, body: verb.body });
      expect([401, 403]).not.toContain(asAdmin.status);
    }
  });

  it('refuses to create an admin limited to environments', async () => {
    const res = await api.request('POST', '/api/user', {
      token: api.adminToken,
      body: { login: 'scoped-admin', role: 'admin', environments: ['staging'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('environments');
  });

  it('narrows listings to a limited token’s environments', async () => {
    const token = tokens.get('viewer+staging') as string;
    const got = await api.request('GET', `/api/artifacts/${fixture.artifactId}`, { token });
    expect(got.body.environments.map((m: any) => m.env)).toEqual(['staging']);
    const track = await api.request('GET', `/api/eventArtifactTrack?artifactId=${fixture.artifactId}`, {
      token,
    });
    expect(track.status).toBe(200);
    await api.request('POST', '/api/policies', {
      token: api.adminToken,
      body: { kind: 'auto-release', app: 'api', env: 'production', branch: 'main' },
    });
    const policies = await api.request('GET', '/api/policies', { token });
    expect(policies.body.filter((p: any) => p.env !== 'staging')).toEqual([]);
  });
});
