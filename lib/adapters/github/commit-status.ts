import { setTimeout as sleep } from 'node:timers/promises';
import { Octokit } from '@octokit/rest';
import { type CommitStatusPort, DeliveryError } from '../../app/notify-ports.ts';
import type { Logger } from '../../log/logger.ts';

export interface CommitStatusPortOptions {
  /** A token allowed to write commit statuses, or a reader of it; none, or an empty secret, disables GitHub. */
  token?: string | (() => Promise<string | undefined>);
  /** GitHub's REST API base URL (GitHub Enterprise: `https://host/api/v3`, tests); api.github.com when unset. */
  baseUrl?: string;
  /** Retries after the first attempt, for a 429, a 5xx or a rate-limited 403. */
  retries?: number;
  /** Full-jitter exponential backoff between min and max when GitHub does not say how long to wait. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** A longer wait than this (`Retry-After`, rate-limit reset) is not slept through: the stream retries later. */
  maxWaitMs?: number;
  timeoutMs?: number;
  logger: Logger;
}

interface Retry {
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  maxWaitMs: number;
}

/**
 * Commit statuses through Octokit. @octokit/rest has no retry or throttling plugin here, so the call is
 * wrapped: GitHub answers a secondary rate limit with 403 or 429 and `Retry-After`, the primary one with
 * 403 and `x-ratelimit-remaining: 0` (plus `x-ratelimit-reset`), and a 5xx may pass; anything else (401,
 * 404, 422) will not get better by asking again.
 */
export function makeCommitStatusPort(options: CommitStatusPortOptions): CommitStatusPort {
  const { token } = options;
  const readToken = typeof token === 'function' ? token : async () => token || undefined;
  const retry: Retry = {
    retries: options.retries ?? 4,
    minDelayMs: options.minDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 8_000,
    maxWaitMs: options.maxWaitMs ?? 20_000,
  };
  let current: { token: string; client: Octokit } | undefined;
  // One client per token value, so a rotated secret applies without a cold start.
  const clientFor = (value: string) => {
    if (current?.token !== value) {
      const quiet = () => {};
      const warn = (message: string) => options.logger.warn(`github: ${message}`);
      current = {
        token: value,
        client: new Octokit({
          auth: value,
          userAgent: 'ferry',
          ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, '') } : {}),
          log: { debug: quiet, info: quiet, warn, error: warn },
        }),
      };
    }
    return current.client;
  };

  return {
    enabled: async () => (await readToken()) !== undefined,
    async set(status) {
      const value = await readToken();
      if (!value) throw new DeliveryError('GitHub commit status: no token is configured');
      const client = clientFor(value);
      try {
        await withRetry(retry, () =>
          client.repos.createCommitStatus({
            owner: status.owner,
            repo: status.repo,
            sha: status.sha,
            state: status.state,
            context: status.context,
            description: status.description,
            ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
            request: { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) },
          }),
        );
      } catch (error) {
        throw new DeliveryError(
          `GitHub commit status on ${status.owner}/${status.repo}@${status.sha.slice(0, 7)} failed: ${(error as Error).message}`,
          { cause: error },
        );
      }
    },
  };
}

async function withRetry<T>(retry: Retry, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const wait = attempt < retry.retries ? retryDelay(error, attempt, retry) : undefined;
      if (wait === undefined || wait > retry.maxWaitMs) throw error;
      await sleep(wait);
    }
  }
}

/** How long to wait before trying again, or undefined when a retry cannot help. */
function retryDelay(error: unknown, attempt: number, retry: Omit<Retry, 'maxWaitMs'>) {
  const { status, response } = error as { status?: number; response?: { headers?: Record<string, unknown> } };
  const header = (name: string) => {
    const value = response?.headers?.[name];
    return value === undefined || value === null ? undefined : String(value);
  };
  const retryAfter = header('retry-after');
  const exhausted = header('x-ratelimit-remaining') === '0';
  const limited = status === 429 || (status === 403 && (retryAfter !== undefined || exhausted));
  if (!limited && !(status !== undefined && status >= 500)) return undefined;
  const seconds = Number(retryAfter);
  if (retryAfter !== undefined && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const reset = Number(header('x-ratelimit-reset'));
  if (exhausted && Number.isFinite(reset)) return Math.max(0, reset * 1000 - Date.now());
  return Math.random() * Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** attempt);
}
