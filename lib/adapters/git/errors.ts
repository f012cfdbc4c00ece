import { DependencyError, FerryError, NotFoundError, UnavailableError } from '../../domain/errors.ts';

/**
 * isomorphic-git's error codes (`err.code`, src/errors in isomorphic-git) that a retry cannot change: the
 * input or the repository is wrong. NotFoundError and ObjectTypeError are answered, not failed, by the
 * callers that can (see `missing`).
 */
const PERMANENT = new Set([
  'InvalidOidError',
  'InvalidRefNameError',
  'InvalidFilepathError',
  'MissingParameterError',
  'NoRefspecError',
  'RemoteCapabilityError',
  'UnknownTransportError',
  'UrlParseError',
  'ParseError',
]);

/** An object or ref that is not in the clone, or a sha of a tree or blob where a commit was meant. */
export function missing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'NotFoundError' || code === 'ObjectTypeError' || error instanceof NotFoundError;
}

/**
 * One git error in Ferry's terms. A missing object becomes NotFoundError (permanent: the sha is not this
 * branch's); an HTTP answer is judged by its status (5xx, 429: can pass; 401, 403, 404: will not); a
 * malformed input is permanent; anything else (a reset connection, a full or failing /tmp, a remote that
 * hung up mid-pack) is an I/O failure that can pass, so it is retryable and never turned into an answer.
 * A TypeError, RangeError or SyntaxError is a bug and stays as it is (permanent).
 */
export function gitError(error: unknown, what: string): Error {
  if (error instanceof FerryError) return error;
  // A bug in Ferry or in isomorphic-git fails the same way every time: left as it is, it is permanent.
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) return error;
  const e = error as { code?: unknown; message?: unknown; data?: { statusCode?: unknown } };
  const message = `${what}: ${typeof e.message === 'string' ? e.message : String(error)}`;
  if (missing(error)) return new NotFoundError(message, { cause: error });
  if (e.code === 'HttpError' && typeof e.data?.statusCode === 'number') {
    const status = e.data.statusCode;
    return status >= 500 || status === 429
      ? new UnavailableError(message, { cause: error })
      : new DependencyError(message, { cause: error });
  }
  if (typeof e.code === 'string' && PERMANENT.has(e.code))
    return new DependencyError(message, { cause: error });
  return new UnavailableError(message, { cause: error });
}
