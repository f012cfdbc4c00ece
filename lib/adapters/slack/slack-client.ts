import { type KnownBlock, LogLevel, type Logger as SlackLogger, WebClient } from '@slack/web-api';
import { DeliveryError, type SlackPort } from '../../app/notify-ports.ts';
import { isRetryable } from '../../domain/errors.ts';
import type { Logger } from '../../log/logger.ts';

export interface SlackPortOptions {
  /** The bot token (`xoxb-…`) or a reader of it (a cached secret); none, or an empty secret, disables Slack. */
  token?: string | (() => Promise<string | undefined>);
  /** Slack's Web API base URL (tests, proxies); https://slack.com/api/ when unset. */
  apiUrl?: string;
  /** Retries after the first attempt, for a 429, any other non-200 status or a network error. */
  retries?: number;
  /** The wait before a retry grows from min to max, randomized (node-retry's minTimeout/maxTimeout). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** One HTTP request's limit; a Lambda must not hang on a call that never answers. */
  timeoutMs?: number;
  logger: Logger;
}

/**
 * Slack through its own client. @slack/web-api 8 already retries what a retry can help (p-retry around each
 * request): on a 429 it pauses its queue for `Retry-After` seconds, on any other non-200 status or a network
 * error it backs off per `retryConfig`. Its default policy retries for about 30 minutes, far past a
 * Lambda's life, so the policy is set here. Errors Slack answers with `ok: false` (channel_not_found,
 * invalid_auth) are not retried; whatever is left is thrown as a DeliveryError.
 */
export function makeSlackPort(options: SlackPortOptions): SlackPort {
  const { token } = options;
  const readToken = typeof token === 'function' ? token : async () => token || undefined;
  let current: { token: string; client: WebClient } | undefined;

  // One client per token value, so a rotated secret applies without a cold start.
  const clientFor = (value: string) => {
    if (current?.token !== value) {
      current = {
        token: value,
        client: new WebClient(value, {
          ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
          retryConfig: {
            retries: options.retries ?? 4,
            factor: 2,
            minTimeout: options.minDelayMs ?? 500,
            maxTimeout: options.maxDelayMs ?? 8_000,
            randomize: true,
          },
          timeout: options.timeoutMs ?? 10_000,
          logger: slackLogger(options.logger),
        }),
      };
    }
    return current.client;
  };

  async function call<T>(method: string, run: (client: WebClient) => Promise<T>): Promise<T> {
    const value = await readToken();
    if (!value) throw new DeliveryError(`Slack ${method}: no token is configured`, { retryable: false });
    try {
      return await run(clientFor(value));
    } catch (error) {
      throw new DeliveryError(`Slack ${method} failed: ${(error as Error).message}`, {
        cause: error,
        retryable: slackRetryable(error),
      });
    }
  }

  return {
    enabled: async () => (await readToken()) !== undefined,
    async post(channel, text, blocks) {
      const out = await call('chat.postMessage', (client) =>
        client.chat.postMessage({
          channel,
          text,
          ...(blocks ? { blocks: blocks as unknown as KnownBlock[] } : {}),
          // Links to commits would unfurl into large previews in every release message.
          unfurl_links: false,
          unfurl_media: false,
        }),
      );
      if (!out.channel || !out.ts)
        throw new DeliveryError('Slack chat.postMessage answered without channel or ts', {
          retryable: false,
        });
      return { channel: out.channel, ts: out.ts };
    },
    async update(channel, ts, text, blocks) {
      await call('chat.update', (client) =>
        client.chat.update({
          channel,
          ts,
          text,
          ...(blocks ? { blocks: blocks as unknown as KnownBlock[] } : {}),
        }),
      );
    },
  };
}

/** Slack's `ok: false` errors that say "later" rather than "never" (api.slack.com/methods, Errors). */
const SLACK_TRANSIENT = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/**
 * @slack/web-api's error codes: a request, HTTP or rate-limit error is what is left after its own retries
 * (the network, a 5xx, a 429) and may pass; a platform error (`ok: false`: channel_not_found,
 * invalid_auth, not_in_channel) will not, except the few Slack documents as transient.
 */
export function slackRetryable(error: unknown): boolean {
  const e = error as { code?: unknown; data?: { error?: unknown } };
  switch (e.code) {
    case 'slack_webapi_request_error':
    case 'slack_webapi_http_error':
    case 'slack_webapi_rate_limited_error':
      return true;
    case 'slack_webapi_platform_error':
      return typeof e.data?.error === 'string' && SLACK_TRANSIENT.has(e.data.error);
    default:
      return isRetryable(error);
  }
}

/** The client's own log lines (rate limits, failed requests) in ours; its debug lines are dropped. */
function slackLogger(logger: Logger): SlackLogger {
  const line = (parts: unknown[]) => `slack: ${parts.map(String).join(' ')}`;
  return {
    debug() {},
    info: (...parts) => logger.info(line(parts)),
    warn: (...parts) => logger.warn(line(parts)),
    error: (...parts) => logger.error(line(parts)),
    setLevel() {},
    getLevel: () => LogLevel.INFO,
    setName() {},
  };
}
