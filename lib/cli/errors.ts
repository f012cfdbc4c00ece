/**
 * The CLI's errors carry their exit code, so main() maps any failure to the documented code in one place:
 * 0 ok, 1 a request failed or the server refused, 2 usage (flags, config, local files), 3 timed out.
 */
export const EXIT_OK = 0;

export abstract class CliError extends Error {
  abstract readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flags, missing configuration, or local input (a `.gimlet` file) that cannot be read. */
export class UsageError extends CliError {
  readonly exitCode = 2;
}

/** The server answered with an error (`status` set), could not be reached, or a release ended failed. */
export class RequestError extends CliError {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class TimeoutError extends CliError {
  readonly exitCode = 3;
}
