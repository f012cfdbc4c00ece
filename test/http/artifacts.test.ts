import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, sampleArtifact } from '../fixtures/artifacts.ts';
import { startTestApi, type TestApi, testClock } from '../support/api.ts';
import { countItems } from '../support/table.ts';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const iso = (minutes: number) => at(minutes).toISOString();

describe('POST /api/artifact', () => {
  let api: TestApi;
  let ci: string;
  beforeAll(async () => {
    api = await startTestApi();
    ci = await api.userToken('ci-bot', { role: 'ci' });
  });
  afterAll(() => api.close());

  it('stores an artifact with a server-set id and created time, and returns it', async () => {
    // Prepare
    const before = Math.floor(Date.now() / 1000);
    // Act
    const res = await api.request('POST', '/api/artifact', {
      token: ci,
      body: { ...sampleArtifact(), id: 'client-chosen', created: 1 },
    });
    // Assess
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^acme\/shop-[0-9a-f-]{36}$/);
    expect(res.body.created).toBeGreaterThanOrEqual(before);
    expect(res.body.version.sha).toBe('9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b');
    expect(res.body.environments).toHaveLength(2);
  });

  it('gets an artifact back by id, with the slash raw or percent-encoded', async () => {
    const { body: stored } = await api.request('POST', '/api/artifact', { token: ci, body: artifact() });
    const raw = await api.request('GET', `/api/artifacts/${stored.id}`, { token: ci });
    const encoded = await api.request('GET', `/api/artifacts/${encodeURIComponent(stored.id)}`, {
      token: ci,
    });
    expect(raw).toEqual({ status: 200, body: stored });
    expect(encoded).toEqual({ status: 200, body: stored });
  });

  it('answers 404 naming an unknown artifact id', async () => {
    const res = await api.request('GET', '/api/artifacts/acme/api-00000000-0000-0000-0000-000000000000', {
      token: ci,
    });
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({
      code: 'not_found',
      message: 'artifact acme/api-00000000-0000-0000-0000-000000000000 not found',
    });
  });

  it('writes an audit record naming who shipped it and with which token', async () => {
    const { body: stored } = await api.request('POST', '/api/artifact', { token: ci, body: artifact() });
    const audit = await api.request('GET', '/api/audit?limit=5', { token: api.adminToken });
    const entry = audit.body.find((e: any) => e.target === stored.id);
    expect(entry).toMatchObject({
      action: 'artifact.create',
      actor: 'ci-bot',
      tokenId: expect.stringMatching(/^tok_/),
    });
    expect(Date.parse(entry.at)).not.toBeNaN();
  });

  describe('refuses bad input with a 4xx that names the problem, storing nothing', () => {
    const twoMiB = JSON.stringify({ ...artifact(), context: { BIG: 'x'.repeat(2 * 1024 * 1024) } });
    // Random bytes do not compress: under 1 MiB on the wire, over what one DynamoDB item can hold.
    const incompressible = JSON.stringify({
      ...artifact(),
      vars: { NOISE: randomBytes(600_000).toString('base64') },
    });

    it.each([
      ['malformed JSON', '{"version": {', 400, 'request body is not valid JSON'],
      ['an empty body', '', 400, 'request body is empty'],
      ['a JSON string', '"artifact"', 400, 'must be an object, got string'],
      [
        'wrong types',
        JSON.stringify(artifact({ sha: 42 })),
        400,
        'version.sha: must be a string, got number',
      ],
      [
        'a missing version.repositoryName',
        JSON.stringify(artifact({ repositoryName: undefined })),
        400,
        'version.repositoryName: is required',
      ],
      [
        '../ in an app name',
        JSON.stringify(artifact({}, [{ app: '../api', env: 'staging', manifests: 'a: b' }])),
        400,
        'environments[0].app: must be a DNS-1123 label',
      ],
      [
        'upper case in an env name',
        JSON.stringify(
          artifact({}, [
            { app: 'api', env: 'staging', manifests: 'a: b' },
            { app: 'api', env: 'Production', manifests: 'a: b' },
          ]),
        ),
        400,
        'environments[1].env: must be a DNS-1123 label',
      ],
      [
        'an unknown event',
        JSON.stringify(artifact({ event: 'deploy' })),
        400,
        'version.event: must be one of push, tag, pr',
      ],
      ['a 2 MiB body', twoMiB, 413, 'the limit is 1048576 (1 MiB)'],
      ['a body too large to store once compressed', incompressible, 413, 'at most 380000 can be stored'],
    ])('%s', async (_name, rawBody, status, message) => {
      // Prepare
      const itemsBefore = await countItems(api.tableName);
      // Act
      const res = await api.request('POST', '/api/artifact', {
        token: ci,
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      // Assess
      expect(res.status).toBe(status);
      expect(res.body.error.message).toContain(message);
      expect(await countItems(api.tableName)).toBe(itemsBefore);
    });
  });
});

describe('GET /api/artifacts', () => {
  let api: TestApi;
  let token: string;
  const ids: Record<string, string> = {};
  const shas: Record<string, string> = {};
  const clock = testClock();

  beforeAll(async () => {
    api = await startTestApi({ clock });
    token = await api.userToken('ci-bot');
    const ship = async (name: string, minute: number, version: Record<string, unknown>) => {
      clock.set(at(minute));
      const res = await api.request('POST', '/api/artifact', { token, body: artifact(version) });
      expect(res.status).toBe(201);
      ids[name] = res.body.id;
      shas[name] = res.body.version.sha;
    };
    await ship('apiMain', 1, { repositoryName: 'acme/api', branch: 'main', event: 'push' });
    await ship('apiPr', 2, {
      repositoryName: 'acme/api',
      branch: 'feature/x',
      event: 'pr',
      sourceBranch: 'feature/x',
      targetBranch: 'main',
    });
    // Branch feature/x, but no source branch: GimletD's sourceBranch filter wrongly matched this one.
    await ship('apiFeature', 3, { repositoryName: 'acme/api', branch: 'feature/x', event: 'push' });
    await ship('apiTag', 4, { repositoryName: 'acme/api', branch: 'main', event: 'tag', tag: 'v1.0.0' });
    await ship('webMain', 5, { repositoryName: 'acme/web', branch: 'main', event: 'push' });
  });
  afterAll(() => api.close());

  const list = async (query: string) => {
    const res = await api.request('GET', `/api/artifacts${query}`, { token });
    expect(res.status).toBe(200);
    return (res.body as any[]).map((a) => Object.entries(ids).find(([, id]) => id === a.id)?.[0]);
  };

  it('lists everything newest first with no filter', async () => {
    expect(await list('')).toEqual(['webMain', 'apiTag', 'apiFeature', 'apiPr', 'apiMain']);
  });

  it('filters by repository', async () => {
    expect(await list('?repository=acme/api')).toEqual(['apiTag', 'apiFeature', 'apiPr', 'apiMain']);
  });

  it('filters by branch, with and without a repository', async () => {
    expect(await list('?branch=main')).toEqual(['webMain', 'apiTag', 'apiMain']);
    expect(await list('?repository=acme/api&branch=main')).toEqual(['apiTag', 'apiMain']);
  });

  it('filters by event', async () => {
    expect(await list('?event=tag')).toEqual(['apiTag']);
    expect(await list('?repository=acme/api&event=pr')).toEqual(['apiPr']);
    expect(await list('?repository=acme/api&branch=main&event=push')).toEqual(['apiMain']);
  });

  it('filters sourceBranch on the source branch, not the branch', async () => {
    expect(await list('?sourceBranch=feature/x')).toEqual(['apiPr']);
    expect(await list('?repository=acme/api&sourceBranch=feature/x')).toEqual(['apiPr']);
  });

  it('filters by one or several shas', async () => {
    expect(await list(`?sha=${shas.apiPr}`)).toEqual(['apiPr']);
    expect(await list(`?sha=${shas.apiMain}&sha=${shas.webMain}`)).toEqual(['webMain', 'apiMain']);
    expect(await list(`?repository=acme/api&sha=${shas.webMain}`)).toEqual([]);
  });

  it('filters by since (inclusive) and until (exclusive)', async () => {
    expect(await list(`?since=${iso(2)}&until=${iso(4)}`)).toEqual(['apiFeature', 'apiPr']);
    expect(await list(`?since=${iso(4)}`)).toEqual(['webMain', 'apiTag']);
    expect(await list(`?repository=acme/api&until=${iso(2)}`)).toEqual(['apiMain']);
  });

  it('pages with limit and offset', async () => {
    expect(await list('?limit=2')).toEqual(['webMain', 'apiTag']);
    expect(await list('?limit=2&offset=2')).toEqual(['apiFeature', 'apiPr']);
    expect(await list('?limit=2&offset=4')).toEqual(['apiMain']);
    expect(await list('?repository=acme/api&limit=1&offset=1')).toEqual(['apiFeature']);
  });

  it('returns an empty list when nothing matches', async () => {
    expect(await list('?repository=acme/nothing')).toEqual([]);
  });

  it('returns whole artifacts, as stored', async () => {
    const res = await api.request('GET', '/api/artifacts?repository=acme/web', { token });
    const one = await api.request('GET', `/api/artifacts/${ids.webMain}`, { token });
    expect(res.body).toEqual([one.body]);
  });

  it('refuses an unknown parameter rather than ignoring it', async () => {
    const res = await api.request('GET', '/api/artifacts?repo=acme/api', { token });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('repo: unknown query parameter');
  });
});
