import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck/light.js';
import { type CommitStatusPort, DeliveryError } from '../../app/notify-ports.ts';
import { isRetryable } from '../../domain/errors.ts';
import type { Logger } from '../../log/logger.ts';

/**
 * GitHub's secondary rate limit on content creation: "no more than 80 content-generating requests per
 * minute and no more than 500 content-generating requests per hour" (docs.github.com, REST API, "Rate
 * limits for the REST API", About secondary rate limits). A commit status is content. The hourly limit is
 * not paced: holding a status for up to an hour would outlive the function's timeout; its 403 is retried.
 */
export const GITHUB_CONTENT_CREATIONS_PER_MINUTE = 80;

export interface CommitStatusPortOptions {
  /** A token allowed to write commit statuses, or a reader of it; none, or an empty secret, disables GitHub. */
  token?: string | (() => Promise<string | undefined>);
  /** GitHub's REST API base URL (GitHub Enterprise: `https://host/api/v3`, tests); api.github.com when unset. */
  baseUrl?: string;
  /** Retries after the first attempt, for a 5xx and for a rate-limited 403 or 429. */
  retries?: number;
  /** The wait before the first retry of a 5xx; the n-th waits n² times as long (@octokit/plugin-retry). */
  minDelayMs?: number;
  /** A longer wait than this (`Retry-After`, rate-limit reset) is not slept through: the stream retries later. */
  maxWaitMs?: number;
  /** Statuses created per minute at most, by this process; GitHub's limit unless a test asks for less waiting. */
  writesPerMinute?: number;
  /** Per attempt. */
  timeoutMs?: number;
  logger: Logger;
}

const GitHub = Octokit.plugin(throttling, retry);

/**
 * What is left after the plugins' retries: a 5xx, a 429, a rate-limited 403 (GitHub: `x-ratelimit-remaining: 0`
 * or `retry-after`) or no answer at all (Octokit reports that as a 500) can pass; any other 4xx (401 bad token, 404, 422 unknown commit) will not.
 */
export function githubRetryable(error: unknown): boolean {
  const e = error as { status?: unknown; response?: { headers?: Record<string, unknown> } };
  if (typeof e.status !== 'number') return isRetryable(error);
  if (e.status >= 500 || e.status === 429) return true;
  const headers = e.response?.headers ?? {};
  return (
    e.status === 403 && (headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined)
  );
}

/**
 * 4xx answers a retry cannot help, for @octokit/plugin-retry (its defaults), plus 429: a rate-limited 403 or
 * 429 is @octokit/plugin-throttling's to retry, after the wait GitHub names, so it is never retried twice.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

/**
 * Commit statuses through Octokit with GitHub's rate-limit plugins. @octokit/plugin-throttling paces writes
 * (one at a time, at most `writesPerMinute`) and retries a secondary limit (403 or 429, "secondary rate
 * limit", `Retry-After`) or an exhausted primary one (`x-ratelimit-remaining: 0`, until
 * `x-ratelimit-reset`); @octokit/plugin-retry retries a 5xx. 401, 404 and 422 will not get better by
 * asking again. The pace holds within one Lambda instance; the notifier reads one stream shard per
 * instance, and the retries cover instances that overlap.
 */
export function makeCommitStatusPort(options: CommitStatusPortOptions): CommitStatusPort {
  const { token, logger } = options;
  const readToken = typeof token === 'function' ? token : async () => token || undefined;
  const retries = options.retries ?? 3;
  const maxWaitMs = options.maxWaitMs ?? 20_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  // One pace for every client of this port, so a rotated token does not reset it.
  const writes = new Bottleneck.Group({
    maxConcurrent: 1,
    minTime: Math.ceil(60_000 / (options.writesPerMinute ?? GITHUB_CONTENT_CREATIONS_PER_MINUTE)),
  });
  const onLimit =
    (kind: string) =>
    (retryAfterSeconds: number, request: { method: string; url: string }, _: unknown, retryCount: number) => {
      const waitMs = retryAfterSeconds * 1000;
      const again = retryCount < retries && waitMs <= maxWaitMs;
      logger.warn(`github: ${kind}`, {
        request: `${request.method} ${request.url}`,
        retryAfterSeconds,
        retryCount,
        retrying: again,
      });
      return again;
    };

  let current: { token: string; client: InstanceType<typeof GitHub> } | undefined;
  // One client per token value, so a rotated secret applies without a cold start.
  const clientFor = (value: string) => {
    if (current?.token !== value) {
      const quiet = () => {};
      const warn = (message: string) => logger.warn(`github: ${message}`);
      current = {
        token: value,
        client: new GitHub({
          auth: value,
          userAgent: 'ferry',
          ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, '') } : {}),
          log: { debug: quiet, info: quiet, warn, error: warn },
          throttle: {
            write: writes,
            onRateLimit: onLimit('primary rate limit exhausted'),
            onSecondaryRateLimit: onLimit('secondary rate limit'),
          },
          retry: { retries, retryAfterBaseValue: options.minDelayMs ?? 1000, doNotRetry: DO_NOT_RETRY },
          // A timeout per attempt: the plugins reuse a request's options for every retry.
          request: {
            fetch: (url: string | URL, init?: RequestInit) =>
              fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
          },
        }),
      };
    }
    return current.client;
  };

  return {
    enabled: async () => (await readToken()) !== undefined,
    async set(status) {
      const value = await readToken();
      if (!value)
        throw new DeliveryError('GitHub commit status: no token is configured', { retryable: false });
      try {
        // The route itself, not `repos.createCommitStatus`: the bundles leave Octokit's endpoint methods
        // out (lib/aws/no-rest-endpoint-methods.ts).
        await clientFor(value).request('POST /repos/{owner}/{repo}/statuses/{sha}', {
          owner: status.owner,
          repo: status.repo,
          sha: status.sha,
          state: status.state,
          context: status.context,
          description: status.description,
          ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
        });
      } catch (error) {
        throw new DeliveryError(
          `GitHub commit status on ${status.owner}/${status.repo}@${status.sha.slice(0, 7)} failed: ${(error as Error).message}`,
          { cause: error, retryable: githubRetryable(error) },
        );
      }
    },
  };
}
