import {
  ConflictError,
  FerryError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  ReleaseFailedError,
  UnauthenticatedError,
  ValidationError,
} from '../domain/errors.ts';
import { json } from './response.ts';
import type { HttpResult } from './types.ts';

/** The one table from error class to HTTP status. Anything not in it is a 500 that leaks nothing. */
const STATUS = new Map<abstract new (...args: never[]) => FerryError, number>([
  [ValidationError, 400],
  [UnauthenticatedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [ReleaseFailedError, 422],
]);

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
  const result = json(status, { error: { code: error.code, message: error.message } });
  if (status === 401) result.headers = { ...result.headers, 'www-authenticate': 'Bearer' };
  return result;
}
