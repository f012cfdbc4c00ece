import { describe, expect, it } from 'vitest';
import { measureMoved, measureRelayed } from '../../lib/app/release-metrics.ts';
import { METRIC, METRICS_NAMESPACE } from '../../lib/config/metrics.ts';
import type { ReleaseRequest } from '../../lib/domain/release.ts';
import { instrument } from '../../lib/log/instrument.ts';
import { withCorrelationId } from '../../lib/log/invocation.ts';

const request = (over: Partial<ReleaseRequest>): ReleaseRequest => ({
  id: 'req-1',
  intent: 'deploy',
  env: 'staging',
  app: 'api',
  triggeredBy: 'alice',
  createdAt: '2026-11-29T10:00:00.000Z',
  state: 'requested',
  states: [{ state: 'requested', at: '2026-11-29T10:00:00.000Z' }],
  ...over,
});

describe('EMF metrics', () => {
  it('writes one EMF document per dimension set, with the correlation id as metadata', async () => {
    // Prepare
    const emf: string[] = [];
    const committed = request({
      state: 'committed',
      states: [
        { state: 'requested', at: '2026-11-29T10:00:00.000Z' },
        { state: 'committed', at: '2026-11-29T10:00:02.500Z', gitopsSha: 'abc' },
      ],
    });
    // Act
    await instrument(
      async () =>
        withCorrelationId('req-1', () => {
          measureRelayed(committed);
          measureMoved(committed);
        }),
      { functionName: 'sqs-write', sink: (line) => emf.push(line) },
    )({}, {});
    // Assess
    const docs = emf.map((l) => JSON.parse(l));
    expect(docs).toHaveLength(2);
    const [byKind, plain] = docs;
    expect(byKind._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [expect.arrayContaining(['service', 'kind'])],
    });
    expect(byKind).toMatchObject({ kind: 'deploy', [METRIC.requests]: 1, correlation_id: 'req-1' });
    expect(plain).toMatchObject({
      service: 'ferry',
      [METRIC.commits]: 1,
      [METRIC.requestToCommit]: 2500,
      correlation_id: 'req-1',
      function_name: 'sqs-write',
    });
  });

  it('measures commit to verdict for a release Flux settled, and nothing for a state in between', async () => {
    const emf: string[] = [];
    await instrument(
      async () => {
        measureMoved(request({ state: 'queued' }));
        measureMoved(
          request({
            state: 'failed',
            states: [
              { state: 'committed', at: '2026-11-29T10:00:00.000Z' },
              { state: 'failed', at: '2026-11-29T10:01:00.000Z' },
            ],
          }),
        );
      },
      { functionName: 'stream-flux-status', sink: (line) => emf.push(line) },
    )({}, {});
    expect(emf.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ [METRIC.failed]: 1, [METRIC.commitToReconciled]: 60_000 }),
    ]);
  });
});
