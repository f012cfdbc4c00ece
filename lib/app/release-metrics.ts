import { KIND_DIMENSION, METRIC } from '../config/metrics.ts';
import type { ReleaseRequest } from '../domain/release.ts';
import { millisBetween, recordMetric } from '../log/metrics.ts';

/**
 * The release-flow metrics, measured where each step happens: the dispatcher relays a request, the
 * writer records its commit, the status processor records Flux's verdict. A redelivered step that moves
 * nothing measures nothing (callers pass only a request that just moved).
 */
export function measureRelayed(request: ReleaseRequest): void {
  recordMetric(METRIC.requests, 'Count', 1, { [KIND_DIMENSION]: request.intent });
}

/** A request that has just reached `after.state`, with its history. */
export function measureMoved(after: ReleaseRequest): void {
  const reached = (state: string) => after.states.find((s) => s.state === state)?.at;
  const committedAt = reached('committed');
  if (after.state === 'committed') {
    recordMetric(METRIC.commits, 'Count', 1);
    const latency = millisBetween(after.createdAt, committedAt);
    if (latency !== undefined) recordMetric(METRIC.requestToCommit, 'Milliseconds', latency);
    return;
  }
  if (after.state !== 'succeeded' && after.state !== 'failed') return;
  recordMetric(after.state === 'succeeded' ? METRIC.succeeded : METRIC.failed, 'Count', 1);
  const latency = millisBetween(committedAt, reached(after.state));
  if (latency !== undefined) recordMetric(METRIC.commitToReconciled, 'Milliseconds', latency);
}

export function measurePushRace(): void {
  recordMetric(METRIC.pushRaces, 'Count', 1);
}

/** How long a write waited on the queue: from SQS's `SentTimestamp` (epoch ms) to its receipt here. */
export function measureQueueAge(sentAtMs: number, now: Date): void {
  const age = now.getTime() - sentAtMs;
  if (Number.isFinite(age) && age >= 0) recordMetric(METRIC.queueAge, 'Milliseconds', age);
}
