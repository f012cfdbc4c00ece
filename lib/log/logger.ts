/**
 * Structured JSON logs, one line per entry. Any field whose name looks like a credential is replaced
 * before it is written, so a token can only reach the log if it is put into a message string; the HTTP
 * layer never logs headers or query strings for that reason.
 */
export type LogSink = (line: string) => void;
export type Fields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

const SECRET_KEY = /token|authorization|secret|password|cookie|signature/i;
/** Public handles that only look like secrets: `tokenId` is a prefix of the token's hash. */
const PUBLIC_KEYS = new Set(['tokenId']);

/** Credentials by their well-known shapes: Ferry's own tokens, GitHub's, Slack's, and bearer headers. */
const CREDENTIAL =
  /\b(?:ferry_[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,})|\bBearer\s+\S+/g;

/** A string with anything shaped like a credential replaced: messages can quote input (a path, a value). */
export function scrub(text: string): string {
  return text.replace(CREDENTIAL, '[redacted]');
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'string') return scrub(value);
  if (value instanceof Error) {
    return { name: value.name, message: scrub(value.message), stack: value.stack && scrub(value.stack) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && !PUBLIC_KEYS.has(k) ? '[redacted]' : redact(v, depth + 1),
      ]),
    );
  }
  return value;
}

export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

export function makeLogger(sink: LogSink = stdoutSink, base: Fields = {}): Logger {
  const write = (level: string, message: string, fields?: Fields) =>
    sink(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        message: scrub(message),
        ...(redact({ ...base, ...fields }) as Fields),
      }),
    );
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
