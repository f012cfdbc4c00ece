import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE } from '../../lib/config/metrics.ts';
import { artifact } from '../fixtures/artifacts.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { envKey, fluxEventBody, postFluxEvent, sign } from '../support/flux.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const KEY = 'correlation-hmac';
/** The functions one deploy passes through, from the API call to the notification of Flux's verdict. */
const RELEASE_PATH = ['http-releases', 'stream-dispatch', 'sqs-write', 'stream-flux-status', 'stream-notify'];

/** True when `value` holds `id` anywhere (a field, a list, a nested object). */
function mentions(value: unknown, id: string): boolean {
  if (value === id) return true;
  if (typeof value === 'string') return false;
  if (Array.isArray(value)) return value.some((v) => mentions(v, id));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((v) => mentions(v, id));
  return false;
}

describe('one release followed through every function by its correlation id', () => {
  let t: TestStack;
  let github: FakeGitHub;
  beforeAll(async () => {
    github = await startFakeGitHub('ghp_corr');
    t = await startTestStack({
      fluxHmacKey: KEY,
      notify: {
        github: { token: 'ghp_corr', baseUrl: github.url, retry: { minDelayMs: 10, maxDelayMs: 50 } },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await github?.close();
  });

  it('carries the request id on each log line of the release and on its EMF metrics', async () => {
    // Prepare: a stored artifact; what was logged before the deploy belongs to no release.
    const shipped = await t.ship(artifact({ repositoryName: 'acme/api' }));
    const logsBefore = t.logs.length;
    const metricsBefore = t.metrics.length;

    // Act: deploy, let the writer commit it, Flux report it, and the notifier tell GitHub.
    const created = await t.request('POST', '/api/releases', {
      body: { env: 'staging', app: 'api', artifactId: shipped.id },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const committed = await t.waitFor(id, (r) => r.state === 'committed');
    const body = fluxEventBody({
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 1.2s, next run in 10m0s',
      metadata: { revision: `main@sha1:${committed.gitopsSha}` },
    });
    const posted = await postFluxEvent(t.url, body, {
      signature: sign(body, envKey(KEY, 'staging')),
      query: 'env=staging',
    });
    expect(posted.status).toBe(200);
    await t.waitFor(id, (r) => r.state === 'succeeded');
    // The notifier has told GitHub about the verdict: the last step of this release.
    const sha = shipped.version.sha;
    const deadline = Date.now() + 20_000;
    while (!github.statuses.some((s) => s.sha === sha && s.state === 'success')) {
      if (Date.now() > deadline) throw new Error('no success commit status');
      await new Promise((r) => setTimeout(r, 50));
    }
    // A moment for the invocation that set it to end, so its metrics are written.
    await new Promise((r) => setTimeout(r, 300));

    // Assess: every line the release caused names it as its correlation id, and carries its invocation.
    const lines = t.logs.slice(logsBefore).map((l) => JSON.parse(l));
    const ofRelease = lines.filter((l) => l.correlation_id === id);
    for (const fn of RELEASE_PATH) {
      expect(
        ofRelease.some((l) => l.function_name === fn),
        `${fn} logged nothing with the correlation id`,
      ).toBe(true);
    }
    for (const line of lines.filter((l) => mentions(l, id))) {
      expect(line.correlation_id ?? line.correlation_ids, JSON.stringify(line)).toSatisfy(
        (c: unknown) => c === id || (Array.isArray(c) && c.includes(id)),
      );
    }
    for (const line of ofRelease) {
      expect(line).toMatchObject({
        function_name: expect.any(String),
        function_request_id: expect.any(String),
        cold_start: expect.any(Boolean),
        level: expect.any(String),
      });
    }

    // …and its metrics reached the EMF output with it.
    const emf = t.metrics.slice(metricsBefore).map((l) => JSON.parse(l));
    const mine = emf.filter((d) => d.correlation_id === id);
    for (const doc of mine) expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe(METRICS_NAMESPACE);
    const names = new Set(
      mine.flatMap((d) => d._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)),
    );
    for (const name of [
      METRIC.requests,
      METRIC.commits,
      METRIC.requestToCommit,
      METRIC.succeeded,
      METRIC.commitToReconciled,
    ]) {
      expect(names, name).toContain(name);
    }
    const requested = mine.find((d) => METRIC.requests in d);
    expect(requested).toMatchObject({ kind: 'deploy', service: 'ferry', [METRIC.requests]: 1 });
    expect(emf.some((d) => METRIC.queueAge in d)).toBe(true);
  }, 90_000);
});
