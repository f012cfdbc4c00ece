import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { CallContext } from '../app/audit.ts';
import type { Authenticator } from '../app/authenticate.ts';
import type { Clock } from '../app/ports.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { Logger } from '../log/logger.ts';
import { errorResult, statusOf } from './errors.ts';
import { presentedToken } from './request.ts';
import type { HttpEvent, HttpResult, LambdaHttpHandler } from './types.ts';

export interface HttpDeps {
  authenticator: Authenticator;
  clock: Clock;
  logger: Logger;
}

export interface Request {
  event: HttpEvent;
  call: CallContext;
}

export type RouteHandler = (request: Request) => Promise<HttpResult>;
export type PublicRouteHandler = (event: HttpEvent) => Promise<HttpResult>;

export interface RouteTable {
  /** Keyed by API Gateway route key (`POST /api/artifact`); the caller must present a valid token. */
  routes?: Record<string, RouteHandler>;
  /** Routes that need no token (health). */
  open?: Record<string, PublicRouteHandler>;
}

interface Timing {
  started: number;
  login?: string;
  tokenId?: string;
}

/**
 * Wraps a function's routes: authenticates every non-open route, maps domain errors to JSON error bodies
 * through one table, and writes one access-log line per request (route key, status, caller; never the
 * query string or headers, which can carry tokens).
 */
export function makeHttpHandler(deps: HttpDeps, table: RouteTable): LambdaHttpHandler {
  const timings = new WeakMap<HttpEvent, Timing>();

  async function dispatch(event: HttpEvent): Promise<HttpResult> {
    const open = table.open?.[event.routeKey];
    if (open) return open(event);
    const route = table.routes?.[event.routeKey];
    if (!route) throw new NotFoundError(`no route ${event.routeKey}`);
    const principal = await deps.authenticator.authenticate(presentedToken(event));
    const timing = timings.get(event);
    if (timing) Object.assign(timing, { login: principal.login, tokenId: principal.tokenId });
    return route({
      event,
      call: { principal, requestId: event.requestContext.requestId, clock: deps.clock },
    });
  }

  const log = (event: HttpEvent, status: number, error?: unknown) => {
    const timing = timings.get(event);
    const fields = {
      route: event.routeKey,
      status,
      ms: timing ? Date.now() - timing.started : undefined,
      requestId: event.requestContext.requestId,
      login: timing?.login,
      tokenId: timing?.tokenId,
    };
    if (status >= 500) deps.logger.error('request failed', { ...fields, error });
    else
      deps.logger.info(
        'request',
        status >= 400 ? { ...fields, reason: withoutInput(event, (error as Error)?.message) } : fields,
      );
  };

  return middy<HttpEvent, HttpResult, Error, Context>(dispatch).use({
    before: (request) => {
      timings.set(request.event, { started: Date.now() });
    },
    after: (request) => {
      log(request.event, request.response?.statusCode ?? 200);
    },
    onError: (request) => {
      request.response = errorResult(request.error, request.event.requestContext.requestId);
      log(request.event, statusOf(request.error), request.error);
    },
  }) as unknown as LambdaHttpHandler;
}

/**
 * A refusal's message often quotes what was sent (`user <login> not found`); a caller who pasted a token
 * into the path would have it copied into the log. Path and query values are cut out of the logged reason
 * (the caller still sees the full message in the response).
 */
function withoutInput(event: HttpEvent, message: string | undefined): string | undefined {
  if (message === undefined) return undefined;
  const values = [
    ...Object.values(event.pathParameters ?? {}),
    ...new URLSearchParams(event.rawQueryString ?? '').values(),
  ].flatMap((v) => {
    if (!v || v.length < 8) return [];
    try {
      return [v, decodeURIComponent(v)];
    } catch {
      return [v];
    }
  });
  let text = message;
  for (const value of values.sort((a, b) => b.length - a.length)) text = text.replaceAll(value, '[input]');
  return text;
}
