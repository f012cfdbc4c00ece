/** Anything with `write`: process.stdout in bin/ferry.js, a string collector in tests. */
export interface Output {
  write(chunk: string): unknown;
}

/**
 * Everything a command touches outside its arguments. Commands never read `process.*`, so tests run
 * main() in process with their own environment, working directory and fetch.
 */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: Output;
  stderr: Output;
  cwd: string;
  fetch?: typeof fetch;
}

export interface Command {
  /** The words that select it: `deploy`, `artifact push`. */
  name: string;
  summary: string;
  /** The full `--help` text. */
  usage: string;
  run(args: string[], io: CliIo): Promise<void>;
}
