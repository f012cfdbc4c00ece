import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { type FilterPattern, matchesFilter } from '../../config/stream-filters.ts';
import { failureReason } from '../../domain/errors.ts';
import type { Logger } from '../../log/logger.ts';

/** A stream record as Lambda hands it over or the Streams API returns it (same shape). */
export type StreamRecord = _Record | DynamoDBStreamEvent['Records'][number];

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

export interface StreamRoute {
  name: string;
  filter: FilterPattern;
  handler: StreamHandler;
}

/** What a consumer's failure destination receives: the record's coordinates and why it was given up. */
export interface StreamFailure {
  consumer: string;
  at: string;
  shardId: string;
  sequenceNumber: string;
  eventName?: string;
  keys?: unknown;
  attempts: number;
  reason: string;
}

export interface DeliveryOptions {
  /** Tries per record before it is parked. */
  maxAttempts: number;
  retryMs: number;
  /** Sends a record given up on to the consumer's failure destination; throws when it could not. */
  park(failure: StreamFailure): Promise<void>;
  logger: Logger;
  shardId?: string;
  stopped?: () => boolean;
  now?: () => Date;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Delivers `records` to one consumer in order until each is handled or parked. A reported failure (or a
 * throw, which counts as a failure of the first record) is retried from that record on; after
 * `maxAttempts` tries the record is parked and the consumer moves past it. Lambda's event source mapping
 * does the same per consumer with retries, bisection and an on-failure destination; here one reader
 * does it for each consumer on its own, so a consumer that fails holds back only itself.
 */
export async function deliverInOrder(
  consumer: string,
  handler: StreamHandler,
  records: readonly StreamRecord[],
  o: DeliveryOptions,
): Promise<void> {
  let pending = [...records];
  let attempts = 0;
  while (pending.length > 0 && !o.stopped?.()) {
    let reason = 'reported as a batch item failure';
    const failures = await handler({ Records: pending } as unknown as DynamoDBStreamEvent).catch(
      (error: unknown) => {
        reason = failureReason(error);
        o.logger.error('stream consumer threw; retrying the batch', { consumer, error });
        return { batchItemFailures: [{ itemIdentifier: sequenceOf(pending[0]) }] };
      },
    );
    const first = failures.batchItemFailures[0]?.itemIdentifier;
    if (first === undefined) return;
    const at = pending.findIndex((r) => sequenceOf(r) === first);
    if (at < 0) return;
    if (at > 0) attempts = 0;
    pending = pending.slice(at);
    attempts += 1;
    if (attempts >= o.maxAttempts) {
      const record = pending[0] as StreamRecord;
      const failure: StreamFailure = {
        consumer,
        at: (o.now?.() ?? new Date()).toISOString(),
        shardId: o.shardId ?? '',
        sequenceNumber: sequenceOf(record),
        ...(record.eventName ? { eventName: record.eventName } : {}),
        ...(record.dynamodb?.Keys ? { keys: record.dynamodb.Keys } : {}),
        attempts,
        reason,
      };
      await o.park(failure);
      o.logger.error('stream record failed every attempt; parked, the consumer moves on', { ...failure });
      pending = pending.slice(1);
      attempts = 0;
      continue;
    }
    await sleep(o.retryMs);
  }
}

/**
 * One stream batch fanned out to every route whose filter matches, the routes side by side. Returns the
 * sequence number to resume from when some route could not finish (its failure destination refused a
 * record): the reader then delivers the batch again from there, and routes that had finished handle
 * those records once more (every consumer is idempotent). Undefined when every route finished.
 */
export async function fanOut(
  routes: readonly StreamRoute[],
  records: readonly StreamRecord[],
  o: DeliveryOptions,
): Promise<string | undefined> {
  const unfinished = await Promise.all(
    routes.map(async (route) => {
      const matching = records.filter((r) => matchesFilter(route.filter, r));
      if (matching.length === 0) return undefined;
      let delivered = 0;
      try {
        await deliverInOrder(
          route.name,
          countingHandler(route.handler, (n) => (delivered = n)),
          matching,
          o,
        );
        return undefined;
      } catch (error) {
        o.logger.error('stream route could not park a record; the batch will be read again', {
          consumer: route.name,
          error,
        });
        return records.indexOf(matching[delivered] ?? (matching[0] as StreamRecord));
      }
    }),
  );
  const earliest = Math.min(...unfinished.filter((i): i is number => i !== undefined && i >= 0));
  return Number.isFinite(earliest) ? sequenceOf(records[earliest]) : undefined;
}

/** Tracks how far a consumer got: the index of the first record of its latest delivery. */
function countingHandler(handler: StreamHandler, onStart: (offset: number) => void): StreamHandler {
  let total: number | undefined;
  return (event) => {
    total ??= event.Records.length;
    onStart(total - event.Records.length);
    return handler(event);
  };
}

export function sequenceOf(record: StreamRecord | undefined): string {
  return record?.dynamodb?.SequenceNumber ?? '';
}
