/**
 * One error hierarchy for the whole service. `code` is the stable machine-readable word that goes
 * into the JSON error body; lib/http/errors.ts maps each class to its HTTP status in one table.
 */
export abstract class FerryError extends Error {
  abstract readonly code: string;
  /**
   * Whether trying the same work again can succeed. Workers decide by this alone (through isRetryable):
   * a FerryError is permanent unless its class or its thrower says otherwise.
   */
  get retryable(): boolean {
    return this.#retryable ?? (this.constructor as typeof FerryError).retryableByDefault;
  }
  /** What a class says when its thrower does not: false here, true for the kinds that can pass. */
  static readonly retryableByDefault: boolean = false;
  readonly #retryable: boolean | undefined;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.#retryable = options?.retryable;
  }
}

/** The request is malformed: the message names the field and what is wrong with it. */
export class ValidationError extends FerryError {
  readonly code = 'invalid_request';
}

export class PayloadTooLargeError extends FerryError {
  readonly code = 'payload_too_large';
}

/** No usable credentials (missing, unknown, expired). Deliberately vague about which. */
export class UnauthenticatedError extends FerryError {
  readonly code = 'unauthenticated';
}

/** Credentials are fine but the role or environment scope does not allow this. */
export class ForbiddenError extends FerryError {
  readonly code = 'forbidden';
}

export class NotFoundError extends FerryError {
  readonly code = 'not_found';
}

export class ConflictError extends FerryError {
  readonly code = 'conflict';
}

/**
 * A release cannot be carried out and retrying will not help (the artifact is gone, the rollback target
 * never held the app): the writer ends the request as `failed` with this message instead of retrying it.
 */
export class ReleaseFailedError extends FerryError {
  readonly code = 'release_failed';
}

/**
 * A setting is missing or wrong: an environment variable (Lambda, the local stack) or a CDK context key.
 * `setting` names it; the message starts with it. Raised at cold start or `cdk synth`, never per request.
 */
export class ConfigError extends FerryError {
  readonly code = 'config_invalid';
  constructor(
    readonly setting: string,
    problem: string,
    options?: { cause?: unknown; source?: 'environment' | 'context' },
  ) {
    super(`${options?.source === 'context' ? 'context ' : ''}${setting}: ${problem}`, options);
  }
}

/**
 * Something Ferry depends on (the git remote, DynamoDB, SQS, Secrets Manager, Slack, GitHub) failed in a
 * way that can pass: throttling, a 5xx, a timeout, an unreachable peer. Workers hand the record back.
 */
export class UnavailableError extends FerryError {
  readonly code = 'unavailable';
  static override readonly retryableByDefault: boolean = true;
}

/**
 * Something Ferry depends on refused in a way that will not change by asking again (bad credentials, a
 * repository or object that does not exist, a pack the server cannot unpack). Workers fail the work once.
 */
export class DependencyError extends FerryError {
  readonly code = 'dependency_failed';
}

/**
 * An adapter's translation of any vendor error into the hierarchy: a FerryError passes through, anything
 * else becomes UnavailableError or DependencyError by isRetryable, with `what` in front of its message and
 * the vendor error as the cause.
 */
export function translate(error: unknown, what: string): FerryError {
  if (error instanceof FerryError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const message = `${what}: ${detail}`;
  return isRetryable(error)
    ? new UnavailableError(message, { cause: error })
    : new DependencyError(message, { cause: error });
}

/** Throttling and capacity refusals AWS documents as retryable (SDK error names). */
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'TransactionConflictException',
  'InternalServerError',
  'ServiceUnavailable',
  'LimitExceededException',
]);
/** Node's socket and DNS errors: the other side was unreachable for now. */
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Whether a worker should try again (Kargo's terminal/non-terminal split): throttling, a 5xx or 429, a
 * timeout or an unreachable peer can pass; anything else (a bug such as a TypeError or RangeError, bad
 * data, a git object of the wrong type) fails the same way every time, so retrying it only blocks the
 * records behind it. Unknown errors are permanent: a stream consumer records them and moves on.
 */
export function isRetryable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  if (error instanceof AggregateError) return error.errors.some((e) => isRetryable(e, depth + 1));
  const e = error as {
    retryable?: unknown;
    $retryable?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: number };
    name?: unknown;
    code?: unknown;
    data?: { statusCode?: number };
    cause?: unknown;
  };
  if (typeof e.retryable === 'boolean') return e.retryable;
  if (e.$retryable !== undefined || e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode ?? e.data?.statusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (typeof e.name === 'string' && (THROTTLED.has(e.name) || e.name === 'TimeoutError')) return true;
  if (typeof e.code === 'string' && NETWORK.has(e.code)) return true;
  return e.cause !== undefined && isRetryable(e.cause, depth + 1);
}

/** A one-line reason for a record or release that failed for good (never a stack trace). */
export function failureReason(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s+/g, ' ').slice(0, 500);
}
