import { LogFormatter, LogItem, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, LogLevel } from '@aws-lambda-powertools/logger/types';
import { ENV_LOG_LEVEL } from '../config/log-level.ts';
import { METRICS_SERVICE } from '../config/metrics.ts';
import { correlationIdOf, currentInvocation } from './invocation.ts';

/**
 * Structured JSON logs, one line per entry, written by Powertools' Logger (levels, error formatting with
 * `cause`, X-Ray trace id). Each line carries the invocation it belongs to (function name, request id,
 * cold start) and the release it works for (`correlation_id`, the release request id), both read from
 * lib/log/invocation.ts. Any field whose name looks like a credential is replaced before it is written,
 * so a token can only reach the log if it is put into a message string, and strings are scrubbed of
 * credential shapes; the HTTP layer never logs headers or query strings for that reason.
 */
export type LogSink = (line: string) => void;
export type Fields = Record<string, unknown>;

export interface Logger {
  debug?(message: string, fields?: Fields): void;
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
    // The cause is what says why (an SDK error under a FerryError): keep it, redacted the same way.
    const { name, message, stack, cause, ...own } = value as Error & Record<string, unknown>;
    return {
      ...(redact(own, depth + 1) as Fields),
      name,
      message: scrub(message),
      ...(stack ? { stack: scrub(stack) } : {}),
      ...(cause !== undefined ? { cause: redact(cause, depth + 1) } : {}),
    };
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

/**
 * Ferry's line layout on Powertools' attributes: `level` (lower case) and `time` first, as before this
 * logger moved to Powertools, then the invocation and correlation keys Powertools' own Lambda context
 * keys use (`function_name`, `function_request_id`, `cold_start`, `correlation_id`).
 */
class FerryLogFormatter extends LogFormatter {
  formatAttributes(
    attributes: Parameters<LogFormatter['formatAttributes']>[0],
    additional: LogAttributes,
  ): LogItem {
    const invocation = currentInvocation();
    return new LogItem({
      attributes: {
        level: attributes.logLevel.toLowerCase(),
        time: attributes.timestamp.toISOString(),
        message: attributes.message,
        service: attributes.serviceName,
        ...(invocation
          ? {
              function_name: invocation.functionName,
              function_request_id: invocation.requestId,
              cold_start: invocation.coldStart,
            }
          : {}),
        ...correlation(invocation),
        ...(attributes.xRayTraceId ? { xray_trace_id: attributes.xRayTraceId } : {}),
      },
    }).addAttributes(additional);
  }
}

function correlation(invocation: ReturnType<typeof currentInvocation>): Fields {
  const one = correlationIdOf(invocation);
  if (one) return { correlation_id: one };
  const ids = invocation?.correlationIds ?? [];
  return ids.length > 1 ? { correlation_ids: ids } : {};
}

class SinkLogger extends PowertoolsLogger {
  constructor(
    private readonly sink: LogSink,
    options: { logLevel: LogLevel; persistentKeys: Fields },
  ) {
    super({ serviceName: METRICS_SERVICE, logFormatter: new FerryLogFormatter(), ...options });
  }

  protected override printLog(_level: number, log: LogItem): void {
    log.prepareForPrint();
    this.sink(JSON.stringify(redact(log.getAttributes()), this.getJsonReplacer()));
  }
}

const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT']);

/** The level FERRY_LOG_LEVEL names (debug, info, warn, error, silent; any case), or info. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const wanted = env[ENV_LOG_LEVEL]?.toUpperCase();
  return (wanted && LEVELS.has(wanted) ? wanted : 'INFO') as LogLevel;
}

export function makeLogger(
  sink: LogSink = stdoutSink,
  base: Fields = {},
  level: LogLevel = logLevel(),
): Logger {
  const logger = new SinkLogger(sink, { logLevel: level, persistentKeys: base });
  return {
    debug: (message, fields) => logger.debug(message, fields ?? {}),
    info: (message, fields) => logger.info(message, fields ?? {}),
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
