import {
  ConflictError,
  FerryError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  ReleaseFailedError,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
} from '../domain/errors.ts';
import { json } from './response.ts';
import type { HttpResult } from './types.ts';

/**
 * The one table from error class to HTTP status. Anything not in it is a 500 that leaks nothing. An
 * UnavailableError (a dependency throttled, down or timed out: DynamoDB, the render function) is a 503
 * that leaks nothing either: asking again can pass, which a 500 does not say.
 */
const STATUS = new Map<abstract new (...args: never[]) => FerryError, number>([
  [ValidationError, 400],
  [UnauthenticatedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [ReleaseFailedError, 422],
  [UnavailableError, 503],
]);

/** What a client waits before asking again after a 503: Lambda and DynamoDB throttles pass in seconds. */
export const RETRY_AFTER_SECONDS = 2;

export function statusOf(error: unknown): number {
  if (error instanceof FerryError) {
    for (const [type, status] of STATUS) if (error instanceof type) return status;
  }
  return 500;
}

export function errorResult(error: unknown, requestId: string): HttpResult {
  const status = statusOf(error);
  if (status === 500 || !(error instanceof FerryError)) {
    return json(500, { error: { code: 'internal', message: `internal error (request ${requestId})` } });
  }
  if (status === 503) {
    const message = `a service Ferry depends on is unavailable for now; try again (request ${requestId})`;
    const result = json(503, { error: { code: error.code, message } });
    result.headers = { ...result.headers, 'retry-after': String(RETRY_AFTER_SECONDS) };
    return result;
  }
  const result = json(status, { error: { code: error.code, message: error.message } });
  if (status === 401) result.headers = { ...result.headers, 'www-authenticate': 'Bearer' };
  return result;
}
