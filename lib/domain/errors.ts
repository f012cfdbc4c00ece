/**
 * One error hierarchy for the whole service. `code` is the stable machine-readable word that goes
 * into the JSON error body; lib/http/errors.ts maps each class to its HTTP status in one table.
 */
export abstract class FerryError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
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
