import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/http/routes.ts';
import { startLocalHttpServer } from '../../lib/local/http-server.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

/** A route key with its parameters filled in. */
const concrete = (routeKey: string) => {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  return { method, path: path.replace(/\{[^}]+\}/g, 'x-1') };
};

describe('bad input is a 4xx, never a 500', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  }, 60_000);
  afterAll(() => api?.close());

  it('treats __proto__, constructor and prototype as ordinary query keys on every route, with and without a token', async () => {
    const statuses: string[] = [];
    for (const { method, path } of ROUTES.map((r) => concrete(r.routeKey))) {
      for (const key of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty']) {
        for (const token of [undefined, api.adminToken]) {
          const res = await api.request(method, `${path}?${key}=1&${key}=2`, token ? { token } : {});
          if (res.status >= 500) statuses.push(`${method} ${path}?${key} → ${res.status}`);
        }
      }
    }
    expect(statuses).toEqual([]);
  }, 60_000);

  it('refuses JSON nested deeper than 64 levels with a 400 naming the limit', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    for (const path of ['/api/artifact', '/api/releases', '/api/policies', '/api/delete']) {
      const res = await api.request('POST', path, {
        token: api.adminToken,
        rawBody: deep,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status, path).toBe(400);
      expect(res.body.error.message).toContain('nested deeper than 64 levels');
    }
  });

  it('refuses a number JSON cannot carry (1e999 reads as Infinity) before anything re-sends or stores it', async () => {
    const body =
      '{"version":{"repositoryName":"acme/api","sha":"abcdef1","created":1e999},"environments":[]}';
    for (const path of ['/api/artifact', '/api/releases']) {
      const res = await api.request('POST', path, {
        token: api.adminToken,
        rawBody: body,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status, path).toBe(400);
      expect(res.body.error.message).toBe(
        'request body: holds a number too large for JSON (it reads as Infinity)',
      );
    }
  });

  it('never copies a token pasted into a path or query into the log', async () => {
    const pasted = 'my-operator-chosen-admin-token-0123456789';
    await api.request('GET', `/api/user/${pasted}`, { token: api.adminToken });
    await api.request('GET', `/api/releases/${pasted}`, { token: api.adminToken });
    await api.request('GET', `/api/status?env=${pasted}`, { token: api.adminToken });
    expect(api.logs.join('\n')).not.toContain(pasted);
  });
});

describe('the local HTTP server before it is ready, and Node’s own refusals', () => {
  it('answers 503 with Retry-After until ready, then serves', async () => {
    const server = await startLocalHttpServer({
      port: 0,
      startReady: false,
      routes: [{ routeKey: 'GET /', fn: 'http-health' as const }],
      handlers: { 'http-health': async () => ({ statusCode: 200, body: '{"status":"ok"}' }) },
    });
    try {
      const early = await fetch(`${server.url}/`);
      expect(early.status).toBe(503);
      expect(early.headers.get('retry-after')).toBe('1');
      expect(((await early.json()) as any).error.code).toBe('starting');
      server.ready();
      expect((await fetch(`${server.url}/`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('refuses oversized headers with a JSON 431', async () => {
    const server = await startLocalHttpServer({
      port: 0,
      routes: [{ routeKey: 'GET /', fn: 'http-health' as const }],
      handlers: { 'http-health': async () => ({ statusCode: 200, body: '{}' }) },
    });
    try {
      const { status, type, body } = await new Promise<{ status: number; type: string; body: string }>(
        (resolve, reject) => {
          const req = httpRequest(`${server.url}/`, { headers: { 'x-big': 'x'.repeat(20_000) } }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: text }),
            );
          });
          req.on('error', reject);
          req.end();
        },
      );
      expect(status).toBe(431);
      expect(type).toBe('application/json');
      expect(JSON.parse(body).error.code).toBe('headers_too_large');
    } finally {
      await server.close();
    }
  });
});
