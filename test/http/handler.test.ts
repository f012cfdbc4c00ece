import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Authenticator } from '../../lib/app/authenticate.ts';
import { systemClock } from '../../lib/app/deps.ts';
import { ForbiddenError, UnavailableError } from '../../lib/domain/errors.ts';
import { makeHttpHandler } from '../../lib/http/handler.ts';
import { json } from '../../lib/http/response.ts';
import type { HttpEvent } from '../../lib/http/types.ts';
import { makeLogger } from '../../lib/log/logger.ts';

const principalFor: Authenticator = {
  authenticate: async (token) => {
    if (token !== 'good') throw new ForbiddenError('nope');
    return { login: 'u', role: 'admin', tokenId: 'tok_u' };
  },
};

const event = (routeKey: string, headers: Record<string, string> = {}): HttpEvent =>
  ({
    version: '2.0',
    routeKey,
    rawPath: '/',
    rawQueryString: '',
    headers,
    requestContext: { requestId: 'req-1', http: { method: 'GET' } },
    isBase64Encoded: false,
  }) as unknown as HttpEvent;

describe('makeHttpHandler', () => {
  it('turns an unexpected error into a 500 that leaks nothing, and logs the cause', async () => {
    // Prepare
    const lines: string[] = [];
    const handler = makeHttpHandler(
      { authenticator: principalFor, clock: systemClock, logger: makeLogger((l) => lines.push(l)) },
      {
        routes: {
          'GET /boom': async () => {
            throw new Error('connect ECONNREFUSED 10.0.0.7:8000 table ferry-prod');
          },
        },
      },
    );
    // Act
    const res = await handler(event('GET /boom', { authorization: 'Bearer good' }), {} as Context);
    // Assess
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body ?? '')).toEqual({
      error: { code: 'internal', message: 'internal error (request req-1)' },
    });
    expect(lines.join('\n')).toContain('ECONNREFUSED');
  });

  it('answers a dependency that can pass (UnavailableError) with a 503 to try again, leaking nothing', async () => {
    // Prepare
    const lines: string[] = [];
    const handler = makeHttpHandler(
      { authenticator: principalFor, clock: systemClock, logger: makeLogger((l) => lines.push(l)) },
      {
        routes: {
          'GET /busy': async () => {
            throw new UnavailableError(
              'invoking Ferry-invoke-render-a1b2: TooManyRequestsException (429): Rate Exceeded.',
            );
          },
        },
      },
    );
    // Act
    const res = await handler(event('GET /busy', { authorization: 'Bearer good' }), {} as Context);
    // Assess
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['retry-after']).toBe('2');
    expect(JSON.parse(res.body ?? '')).toEqual({
      error: {
        code: 'unavailable',
        message: 'a service Ferry depends on is unavailable for now; try again (request req-1)',
      },
    });
    expect(lines.join('\n')).toContain('TooManyRequestsException');
  });

  it('maps domain errors through the status table', async () => {
    const handler = makeHttpHandler(
      { authenticator: principalFor, clock: systemClock, logger: makeLogger(() => undefined) },
      { routes: { 'GET /x': async () => json(200, {}) } },
    );
    const res = await handler(event('GET /x', { authorization: 'Bearer bad' }), {} as Context);
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body ?? '').error).toEqual({ code: 'forbidden', message: 'nope' });
  });
});

describe('the http-health Lambda handler', () => {
  it('answers from code alone: no table, secret or setting in its environment, and any token ignored', async () => {
    // Prepare: the Lambda environment CDK gives it holds no FERRY_* variable (test/cdk/assertions.test.ts).
    const saved = { ...process.env };
    for (const name of Object.keys(process.env)) if (name.startsWith('FERRY_')) delete process.env[name];
    try {
      const { handler } = await import('../../functions/http-health.ts');
      // Act
      const ok = await handler(event('GET /', { authorization: 'Bearer anything' }), {} as Context);
      const other = await handler(event('GET /api/users'), {} as Context);
      // Assess
      expect([ok.statusCode, JSON.parse(ok.body ?? '')]).toEqual([200, { status: 'ok' }]);
      expect(other.statusCode).toBe(404);
    } finally {
      process.env = saved;
    }
  });
});
