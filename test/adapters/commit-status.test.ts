import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CommitStatusPortOptions,
  GITHUB_CONTENT_CREATIONS_PER_MINUTE,
  makeCommitStatusPort,
} from '../../lib/adapters/github/commit-status.ts';
import { type CommitStatus, DeliveryError } from '../../lib/app/notify-ports.ts';
import { makeLogger } from '../../lib/log/logger.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';

const TOKEN = 'ghp_commitstatustoken';

const status = (n: number): CommitStatus => ({
  owner: 'acme',
  repo: 'api',
  sha: `${n}`.padStart(40, 'a'),
  state: 'pending',
  context: 'ferry/staging',
  description: `release ${n}`,
});

describe('GitHub commit statuses', () => {
  let github: FakeGitHub;
  let logs: string[];
  const port = (options: Partial<CommitStatusPortOptions> = {}) =>
    makeCommitStatusPort({
      token: TOKEN,
      baseUrl: github.url,
      minDelayMs: 1,
      logger: makeLogger((line) => logs.push(line)),
      ...options,
    });

  beforeEach(async () => {
    logs = [];
    github = await startFakeGitHub(TOKEN);
  });
  afterEach(() => github.close());

  it('paces a burst at GitHub’s content-creation limit: 80 a minute, one at a time', async () => {
    // Prepare: the limit documented in "Rate limits for the REST API" (secondary rate limits).
    expect(GITHUB_CONTENT_CREATIONS_PER_MINUTE).toBe(80);
    const statuses = port();
    const started = Date.now();
    // Act: four releases finish at once.
    await Promise.all([1, 2, 3, 4].map((n) => statuses.set(status(n))));
    // Assess: the n-th request left no sooner than n × 60 s / 80 after the first, so no minute holds more
    // than 80 (arrival times also carry each request's own network delay, so only this bound is exact).
    expect(github.statuses).toHaveLength(4);
    github.calls.forEach((call, n) => {
      expect(call.at - started, `request ${n}`).toBeGreaterThanOrEqual(n * 750 - 5);
    });
  });

  it('retries a 403 and a 429 after their Retry-After, and a used-up primary limit after its reset', async () => {
    // Prepare
    github.failNext(1, 403);
    github.failNext(1, 429);
    github.failNext(1, 'exhausted');
    const started = Date.now();
    // Act
    await port({ writesPerMinute: 60_000 }).set(status(1));
    // Assess
    expect(github.calls.map((c) => c.status)).toEqual([403, 429, 403, 201]);
    const waits = github.calls.slice(1).map((call, i) => call.at - (github.calls[i]?.at ?? 0));
    // Retry-After: 1, twice; then until x-ratelimit-reset (within the next second) plus a second.
    expect(waits[0]).toBeGreaterThanOrEqual(1000 - 5);
    expect(waits[1]).toBeGreaterThanOrEqual(1000 - 5);
    expect(waits[2]).toBeGreaterThanOrEqual(1000 - 5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000 - 15);
    expect(github.statuses).toHaveLength(1);
    expect(logs.filter((l) => JSON.parse(l).retrying === true)).toHaveLength(3);
  });

  it('retries a 5xx with backoff; does not ask again after a 401', async () => {
    github.failNext(2, 500);
    await port({ writesPerMinute: 60_000 }).set(status(1));
    expect(github.calls.map((c) => c.status)).toEqual([500, 500, 201]);

    const wrong = makeCommitStatusPort({
      token: 'ghp_wrong',
      baseUrl: github.url,
      logger: makeLogger(() => {}),
    });
    await expect(wrong.set(status(2))).rejects.toThrow(DeliveryError);
    expect(github.calls.map((c) => c.status)).toEqual([500, 500, 201, 401]);
  });

  it('gives up on a wait longer than maxWaitMs, and after the retries, so the stream retries later', async () => {
    github.failNext(1, 429);
    await expect(port({ maxWaitMs: 500 }).set(status(1))).rejects.toThrow(/secondary rate limit/);
    expect(github.calls.map((c) => c.status)).toEqual([429]);

    github.failNext(3, 403);
    const started = Date.now();
    await expect(port({ retries: 2 }).set(status(2))).rejects.toThrow(DeliveryError);
    expect(github.calls.map((c) => c.status)).toEqual([429, 403, 403, 403]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000 - 10);
  });
});
