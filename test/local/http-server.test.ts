import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiFunction } from '../../lib/http/routes.ts';
import type { HttpEvent, HttpResult } from '../../lib/http/types.ts';
import { type LocalHttpServer, startLocalHttpServer } from '../../lib/local/http-server.ts';
import { matchRoute } from '../../lib/local/route-match.ts';

describe('local HTTP → API Gateway v2 translation', () => {
  const seen: { fn: string; event: HttpEvent; context: Context }[] = [];
  let server: LocalHttpServer;
  const recorder =
    (fn: ApiFunction) =>
    async (event: HttpEvent, context: Context): Promise<HttpResult> => {
      seen.push({ fn, event, context });
      return { statusCode: 202, headers: { 'x-fn': fn }, body: 'AQID', isBase64Encoded: true };
    };

  beforeAll(async () => {
    server = await startLocalHttpServer<ApiFunction>({
      port: 0,
      routes: [
        { routeKey: 'GET /api/things', fn: 'http-artifacts' },
        { routeKey: 'GET /api/things/{id+}', fn: 'http-artifacts' },
        { routeKey: 'POST /api/user/{login}', fn: 'http-users' },
      ],
      handlers: {
        'http-artifacts': recorder('http-artifacts'),
        'http-users': recorder('http-users'),
        'http-health': recorder('http-health'),
        'http-releases': recorder('http-releases'),
        'http-github-webhook': recorder('http-github-webhook'),
      },
    });
  });
  afterAll(() => server.close());

  it('hands the raw query string through, so repeated keys survive', async () => {
    await fetch(`${server.url}/api/things?sha=a&sha=b&x=1`);
    const { event } = seen.at(-1) ?? {};
    expect(event?.routeKey).toBe('GET /api/things');
    expect(event?.rawQueryString).toBe('sha=a&sha=b&x=1');
    // API Gateway's own (lossy) comma-joined form, kept for fidelity.
    expect(event?.queryStringParameters).toEqual({ sha: 'a,b', x: '1' });
  });

  it('fills greedy and single path parameters', async () => {
    await fetch(`${server.url}/api/things/acme/shop-123`);
    expect(seen.at(-1)?.event.pathParameters).toEqual({ id: 'acme/shop-123' });
    await fetch(`${server.url}/api/user/alice`, { method: 'POST', body: '{}' });
    expect(seen.at(-1)?.fn).toBe('http-users');
    expect(seen.at(-1)?.event.pathParameters).toEqual({ login: 'alice' });
  });

  it('passes text bodies as strings and binary ones base64-encoded', async () => {
    await fetch(`${server.url}/api/user/a`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(seen.at(-1)?.event).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    await fetch(`${server.url}/api/user/a`, {
      method: 'POST',
      body: new Uint8Array([0, 255]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(seen.at(-1)?.event).toMatchObject({ body: 'AP8=', isBase64Encoded: true });
  });

  it('lower-cases headers and sets a request id and a Lambda context', async () => {
    await fetch(`${server.url}/api/things`, { headers: { 'X-Custom': 'v' } });
    const last = seen.at(-1);
    expect(last?.event.headers['x-custom']).toBe('v');
    expect(last?.event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(last?.event.requestContext.http.method).toBe('GET');
    expect(last?.context.functionName).toBe('http-artifacts');
  });

  it('turns the result back into a response, decoding a base64 body', async () => {
    const res = await fetch(`${server.url}/api/things`);
    expect(res.status).toBe(202);
    expect(res.headers.get('x-fn')).toBe('http-artifacts');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('answers 404 in the JSON error shape for an unknown route or method', async () => {
    for (const [method, path] of [
      ['GET', '/api/nothing'],
      ['DELETE', '/api/things'],
    ]) {
      const res = await fetch(server.url + (path ?? ''), { method });
      expect(res.status).toBe(404);
      expect(((await res.json()) as any).error.code).toBe('not_found');
    }
  });
});

describe('matchRoute', () => {
  const routes = [
    { routeKey: 'GET /', fn: 'http-health' as const },
    { routeKey: 'GET /api/artifacts/{id+}', fn: 'http-artifacts' as const },
  ];
  it('matches the root and refuses an empty greedy parameter', () => {
    expect(matchRoute(routes, 'GET', '/')?.route.fn).toBe('http-health');
    expect(matchRoute(routes, 'GET', '/api/artifacts')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/api/artifacts/a/b/c')?.pathParameters).toEqual({ id: 'a/b/c' });
  });
});
