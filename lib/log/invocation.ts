import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What every log line and metric of one function invocation carries: the Lambda context and the
 * correlation id of the release it works for. Kept in AsyncLocalStorage rather than on a logger instance,
 * because the local stack runs every function in one process at once, and a batch handler works for
 * several releases side by side (`withCorrelationId` per request).
 */
export interface Invocation {
  functionName: string;
  requestId: string;
  coldStart: boolean;
  /** The release request ids this part of the invocation works for (one, or a batch's). */
  correlationIds?: readonly string[];
  /** Metrics recorded in this invocation, written as EMF when it ends (lib/log/metrics.ts). */
  metrics: RecordedMetric[];
}

export interface RecordedMetric {
  name: string;
  unit: 'Count' | 'Milliseconds';
  value: number;
  dimensions: Record<string, string>;
  correlationId?: string;
}

/** The one release a log line or metric belongs to; undefined for none or several. */
export function correlationIdOf(invocation: Invocation | undefined): string | undefined {
  const ids = invocation?.correlationIds;
  return ids?.length === 1 ? ids[0] : undefined;
}

/** The parts of a Lambda context an invocation needs (the local stack makes them up). */
export interface InvocationContext {
  functionName: string;
  awsRequestId?: string;
}

const store = new AsyncLocalStorage<Invocation>();
const started = new Set<string>();

/**
 * Runs one invocation of `functionName`; `finish` sees what it recorded (the metrics flush), also when
 * the handler throws. The first invocation of a function name in this process is its cold start.
 */
export async function runInvocation<R>(
  context: InvocationContext,
  handler: () => Promise<R>,
  finish: (invocation: Invocation) => void,
): Promise<R> {
  const invocation: Invocation = {
    functionName: context.functionName,
    requestId: context.awsRequestId ?? randomUUID(),
    coldStart: !started.has(context.functionName),
    metrics: [],
  };
  started.add(context.functionName);
  try {
    return await store.run(invocation, handler);
  } finally {
    finish(invocation);
  }
}

/**
 * Runs `work` for one release (or a batch of them): everything it logs or measures carries the release
 * request id as its correlation id (`correlation_id`, or `correlation_ids` for a batch's several).
 */
export function withCorrelationId<R>(ids: string | readonly string[], work: () => R): R {
  const current = store.getStore();
  if (!current) return work();
  const correlationIds = [...new Set(typeof ids === 'string' ? [ids] : ids)];
  return store.run({ ...current, correlationIds, metrics: current.metrics }, work);
}

/** From here on, this invocation works for release `id` (an API call that has just recorded it). */
export function setCorrelationId(id: string): void {
  const current = store.getStore();
  if (current) current.correlationIds = [id];
}

export function currentInvocation(): Invocation | undefined {
  return store.getStore();
}
