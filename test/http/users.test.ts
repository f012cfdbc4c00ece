import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFunction, ROUTES, UI_FUNCTION } from '../../lib/http/routes.ts';
import { artifact } from '../fixtures/artifacts.ts';
import { startTestApi, type TestApi, testClock } from '../support/api.ts';
import { countItems } from '../support/table.ts';

const stagingAndProduction = () =>
  artifact({}, [
    { app: 'api', env: 'staging', manifests: 'a: b' },
    { app: 'api', env: 'production', manifests: 'a: b' },
  ]);

/** A route key as a request: `GET /api/user/{login}` → ['GET', '/api/user/admin']. */
function concrete(routeKey: string): [string, string] {
  const [method = '', path = ''] = routeKey.split(' ');
  // A greedy `{id+}` takes an artifact id with its slash; a plain `{param}` never matches one.
  return [
    method,
    path.replace(/\{[^}]+\}/g, (p) =>
      p.includes('login') ? 'admin' : p.endsWith('+}') ? 'acme/x-1' : 'x-1',
    ),
  ];
}

const routesOf = (fn: ApiFunction) => ROUTES.filter((r) => r.fn === fn).map((r) => concrete(r.routeKey));

describe('users and tokens', () => {
  const clock = testClock(new Date('2026-05-01T12:00:00Z'));
  let api: TestApi;
  const issued: string[] = [];
  beforeAll(async () => {
    api = await startTestApi({ clock });
    issued.push(api.adminToken);
  });
  afterAll(() => api.close());

  const create = async (body: Record<string, unknown>) => {
    const res = await api.request('POST', '/api/user', { token: api.adminToken, body });
    if (res.body?.token) issued.push(res.body.token);
    return res;
  };

  it('creates a user and shows its token once', async () => {
    // Act
    const created = await create({ login: 'alice', role: 'deployer', environments: ['staging'] });
    const fetched = await api.request('GET', '/api/user/alice', { token: api.adminToken });
    const listed = await api.request('GET', '/api/users', { token: api.adminToken });
    // Assess
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      login: 'alice',
      role: 'deployer',
      admin: false,
      environments: ['staging'],
    });
    expect(created.body.token).toMatch(/^ferry_[A-Za-z0-9_-]{43}$/);
    expect(fetched.body).not.toHaveProperty('token');
    expect(fetched.body.tokenId).toBe(created.body.tokenId);
    expect(listed.body.map((u: any) => u.login)).toEqual(expect.arrayContaining(['admin', 'alice']));
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
  });

  it("keeps Gimlet's {login, admin} body working", async () => {
    const admin = await create({ login: 'gimlet-admin', admin: true });
    const plain = await create({ login: 'gimlet-user' });
    expect(admin.body).toMatchObject({ role: 'admin', admin: true });
    expect(plain.body).toMatchObject({ role: 'ci', admin: false });
    const asNewAdmin = await api.request('GET', '/api/users', { token: admin.body.token });
    expect(asNewAdmin.status).toBe(200);
  });

  it('accepts the exact body the gimlet CLI posts for `user create`', async () => {
    // The CLI serialises its dashboard User struct: Go zero values for everything but login/admin.
    const res = await create({
      login: 'gimlet-cli-user',
      token: '',
      admin: false,
      name: '',
      favoriteRepos: null,
      favoriteServices: null,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ login: 'gimlet-cli-user', role: 'ci', admin: false });
    expect(res.body.token).toMatch(/^ferry_/);
  });

  it('refuses a duplicate login with 409 and writes nothing', async () => {
    await create({ login: 'bob' });
    const before = await countItems(api.tableName);
    const again = await create({ login: 'bob', role: 'viewer' });
    expect(again.status).toBe(409);
    expect(again.body.error).toEqual({ code: 'conflict', message: 'user bob already exists' });
    expect(await countItems(api.tableName)).toBe(before);
  });

  it.each([
    [{ role: 'ci' }, 'login: is required'],
    [{ login: '../etc' }, 'login: must be 1-64 letters'],
    [{ login: 'x', role: 'root' }, 'role: must be one of admin, deployer, ci, flux, viewer'],
    [{ login: 'x', role: 'ci', admin: true }, 'admin: contradicts role ci'],
    [{ login: 'x', environments: ['Prod'] }, 'environments[0]: must be a DNS-1123 label'],
    [{ login: 'x', environments: [] }, 'environments: must list at least one environment'],
    [{ login: 'x', expiresAt: 'tomorrow' }, 'expiresAt: must be an RFC 3339 time'],
    [{ login: 'x', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt: must be in the future'],
    [{ login: 'x', token: 'my-own-token' }, 'token: is issued by the server'],
    [{ login: 'x', rol: 'ci' }, 'rol: unknown field'],
    [{ login: 'x', favoriteRepos: ['acme/a'] }, 'favoriteRepos: is not supported'],
  ])('refuses %j with 400', async (body, message) => {
    const before = await countItems(api.tableName);
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toContain(message);
    expect(await countItems(api.tableName)).toBe(before);
  });

  describe('roles and environments', () => {
    it('refuses user management to a non-admin with 403', async () => {
      const ci = (await create({ login: 'ci-1', role: 'ci' })).body.token;
      // GET /api/me answers every valid token (who am I, what may I do): the dashboard starts there.
      expect((await api.request('GET', '/api/me', { token: ci })).body).toMatchObject({
        login: 'ci-1',
        role: 'ci',
      });
      for (const [method, path] of routesOf('http-users').filter(
        ([, path]) => path !== '/api/me' && path !== '/api/token/oidc',
      )) {
        const body = method === 'POST' ? { login: 'evil', admin: true } : undefined;
        const res = await api.request(method, path, { token: ci, body });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
      expect((await api.request('GET', '/api/user/evil', { token: api.adminToken })).status).toBe(404);
    });

    it.each(['viewer', 'flux', 'deployer'])('refuses shipping artifacts to a %s token', async (role) => {
      const token = (await create({ login: `${role}-1`, role })).body.token;
      // A valid artifact, and an invalid one: the role is checked before validation says anything.
      for (const body of [artifact(), { version: {} }]) {
        const res = await api.request('POST', '/api/artifact', { token, body });
        expect(res.status).toBe(403);
        expect(res.body.error.message).toBe(`role ${role} may not artifact write`);
      }
    });

    it('refuses reading artifacts to a flux token', async () => {
      const token = (await create({ login: 'flux-2', role: 'flux' })).body.token;
      expect((await api.request('GET', '/api/artifacts', { token })).status).toBe(403);
    });

    it('refuses an artifact that reaches outside the token environments, and stores nothing', async () => {
      const token = (await create({ login: 'ci-staging', role: 'ci', environments: ['staging'] })).body.token;
      const before = await countItems(api.tableName);
      const outside = await api.request('POST', '/api/artifact', { token, body: stagingAndProduction() });
      expect(outside.status).toBe(403);
      expect(outside.body.error.message).toContain('"production" is outside');
      expect(await countItems(api.tableName)).toBe(before);
      const inside = await api.request('POST', '/api/artifact', { token, body: artifact() });
      expect(inside.status).toBe(201);
    });
  });

  describe('token checks', () => {
    it('stops a deleted user token at once', async () => {
      const token = (await create({ login: 'carol' })).body.token;
      expect((await api.request('GET', '/api/artifacts', { token })).status).toBe(200);
      const deleted = await api.request('DELETE', '/api/user/carol', { token: api.adminToken });
      const after = await api.request('GET', '/api/artifacts', { token });
      expect(deleted.status).toBe(204);
      expect(after.status).toBe(401);
      expect(after.body.error).toEqual({ code: 'unauthenticated', message: 'invalid token' });
    });

    it('answers 404 for deleting an unknown user and 409 for deleting yourself', async () => {
      expect((await api.request('DELETE', '/api/user/nobody', { token: api.adminToken })).status).toBe(404);
      expect((await api.request('DELETE', '/api/user/admin', { token: api.adminToken })).status).toBe(409);
    });

    it('stops a token at its expiry', async () => {
      const token = (await create({ login: 'temp', expiresAt: '2026-05-01T13:00:00Z' })).body.token;
      expect((await api.request('GET', '/api/artifacts', { token })).status).toBe(200);
      clock.set(new Date('2026-05-01T13:00:00Z'));
      const expired = await api.request('GET', '/api/artifacts', { token });
      expect(expired.status).toBe(401);
      expect(expired.body.error.message).toBe('token expired at 2026-05-01T13:00:00.000Z');
    });

    it("replaces a token on Gimlet's withToken=true, retiring the old one", async () => {
      const old = (await create({ login: 'dave' })).body.token;
      const res = await api.request('GET', '/api/user/dave?withToken=true', { token: api.adminToken });
      issued.push(res.body.token);
      expect(res.status).toBe(200);
      expect(res.body.token).toMatch(/^ferry_/);
      expect((await api.request('GET', '/api/artifacts', { token: old })).status).toBe(401);
      expect((await api.request('GET', '/api/artifacts', { token: res.body.token })).status).toBe(200);
    });

    it('accepts the token as access_token and as a bare Authorization header', async () => {
      const token = (await create({ login: 'erin' })).body.token;
      expect((await api.request('GET', `/api/artifacts?access_token=${token}`)).status).toBe(200);
      const bare = await api.request('GET', '/api/artifacts', { headers: { authorization: token } });
      expect(bare.status).toBe(200);
    });

    it('answers 401 without a token or with an unknown one', async () => {
      const none = await api.request('GET', '/api/artifacts');
      const unknown = await api.request('GET', '/api/artifacts', { token: 'ferry_not-a-real-token' });
      expect(none.status).toBe(401);
      expect(none.body.error.message).toContain('missing token');
      expect(unknown.status).toBe(401);
    });

    it('checks the token on every non-health route', async () => {
      // The OIDC exchange is authenticated by the JWT in its body instead (test/http/oidc.test.ts).
      const guarded = ROUTES.filter(
        (r) => r.fn !== 'http-health' && r.fn !== UI_FUNCTION && r.routeKey !== 'POST /api/token/oidc',
      );
      expect(guarded.length).toBeGreaterThan(5);
      for (const [method, path] of guarded.map((r) => concrete(r.routeKey))) {
        expect((await api.request(method, path)).status, `${method} ${path}`).toBe(401);
      }
      expect((await api.request('GET', '/')).status).toBe(200);
      // The dashboard's files are public; its data calls are not.
      expect((await fetch(`${api.url}/ui/`)).status).toBe(200);
    });
  });

  it('audits every user change with actor, token and target', async () => {
    await create({ login: 'frank' });
    await api
      .request('GET', '/api/user/frank?withToken=true', { token: api.adminToken })
      .then((r) => issued.push(r.body.token));
    await api.request('DELETE', '/api/user/frank', { token: api.adminToken });
    const res = await api.request('GET', '/api/audit?limit=3', { token: api.adminToken });
    expect(res.body.map((e: any) => [e.action, e.target, e.actor])).toEqual([
      ['user.delete', 'frank', 'admin'],
      ['user.token.replace', 'frank', 'admin'],
      ['user.create', 'frank', 'admin'],
    ]);
    for (const entry of res.body) expect(entry.tokenId).toMatch(/^tok_[0-9a-f]{12}$/);
  });

  it('never writes a token into the logs', async () => {
    // Prepare: a request that carries the token in the query string, and a failing one.
    const token = (await create({ login: 'grace' })).body.token;
    await api.request('GET', `/api/artifacts?access_token=${token}`);
    await api.request('POST', `/api/artifact?access_token=${token}`, { rawBody: '{oops' });
    // Assess
    const log = api.logs.join('\n');
    expect(api.logs.length).toBeGreaterThan(20);
    expect(log).toContain('"route":"GET /api/artifacts"');
    for (const secret of issued) expect(log).not.toContain(secret);
  });
});
