import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { deliverInOrder, type StreamFailure } from '../adapters/dynamodb/stream-fanout.ts';
import { type FilterPattern, matchesFilter } from '../config/stream-filters.ts';
import type { Logger } from '../log/logger.ts';
import type { WriteSignal } from './write-signal.ts';

export type { StreamFailure } from '../adapters/dynamodb/stream-fanout.ts';

export interface StreamConsumer {
  name: string;
  /** Records matching any of these reach the handler (an event source mapping's FilterCriteria). */
  filter: FilterPattern | readonly FilterPattern[];
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
}

export interface Poller {
  stop(): Promise<void>;
}

const DEFAULT_ATTEMPTS = 3;
const DEFAULT_RETRY_MS = 1000;
const DISCOVERY_MS = 5000;
/**
 * The wait after an empty read when this process's writes wake the poller: only writes from elsewhere (a
 * test's own client, another process) wait this long to be seen.
 */
const IDLE_WITH_SIGNAL_MS = 250;
/** The wait after an empty read without a write signal, and for a while after a signalled write. */
const BUSY_MS = 50;
/**
 * How long after a write the poller keeps reading every BUSY_MS: DynamoDB Local may show a write's stream
 * record a little after the write has returned (more so on a loaded machine), so the read it wakes can
 * still come back empty.
 */
const AFTER_WRITE_MS = 2000;

/**
 * Reads the table's stream through the real DynamoDB Streams API and feeds each consumer the records its
 * filter matches, like one Lambda event source mapping per consumer (cdk/ferry-services.ts):
 * - each consumer has its own cursor per shard, so one that fails never holds the others back;
 * - a reported failure is retried from that record on, at most `maxAttempts` times; then the record's
 *   coordinates go to the consumer's failure file (`<stateDir>/failures/<consumer>.jsonl`, the local
 *   on-failure destination) and the consumer moves past it;
 * - each cursor is checkpointed in `<stateDir>/checkpoints/<consumer>.json` after every batch, so a restart
 *   resumes after the last record handled: nothing is lost and nothing is replayed. A consumer without a
 *   checkpoint (first start) reads from the oldest record kept (TRIM_HORIZON); consumers are idempotent.
 * Without `stateDir` cursors live in memory only (tests that do not restart).
 */
export async function startStreamPoller(options: {
  dynamo: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  tableName: string;
  consumers: StreamConsumer[];
  logger: Logger;
  /** How long to wait after an empty read: 50 ms, or IDLE_WITH_SIGNAL_MS when `writes` wakes it sooner (and then 50 ms for a while after a write). */
  intervalMs?: number;
  /** The table's writes from this process: an empty read waits for the next one (or intervalMs). */
  writes?: WriteSignal;
  stateDir?: string;
  maxAttempts?: number;
  retryMs?: number;
}): Promise<Poller> {
  const table = await options.dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
  // stop() wakes every idle wait at once, so it never waits out the interval. Each wait registers its own
  // waker and removes it when it ends: racing one long-lived promise instead kept a handler per pass.
  const control: Control = { stopped: false, wakers: new Set() };
  if (options.stateDir) {
    await mkdir(join(options.stateDir, 'checkpoints'), { recursive: true });
    await mkdir(join(options.stateDir, 'failures'), { recursive: true });
  }
  const loops = options.consumers.map((consumer) =>
    consumerLoop({ ...options, streamArn, consumer, control }),
  );
  return {
    async stop() {
      control.stopped = true;
      for (const wake of control.wakers) wake();
      await Promise.all(loops);
    },
  };
}

interface LoopOptions {
  streams: DynamoDBStreamsClient;
  streamArn: string;
  consumer: StreamConsumer;
  logger: Logger;
  control: Control;
  intervalMs?: number;
  writes?: WriteSignal;
  stateDir?: string;
  maxAttempts?: number;
  retryMs?: number;
}

interface Control {
  stopped: boolean;
  /** The idle waits in progress, each ended at once by stop(). */
  wakers: Set<() => void>;
}

/**
 * Waits `ms` after an empty read, less when the table is written (o.writes) or the poller stops. `seen` is
 * the write count before the read: a write made while it ran ends the wait before it starts.
 */
function idle(o: LoopOptions, control: Control, seen: number, ms: number): Promise<void> {
  if (control.stopped || (o.writes && o.writes.count !== seen)) return Promise.resolve();
  return new Promise((resolve) => {
    let stopWatching: (() => void) | undefined;
    const done = () => {
      clearTimeout(timer);
      control.wakers.delete(done);
      stopWatching?.();
      resolve();
    };
    const timer = setTimeout(done, ms);
    control.wakers.add(done);
    stopWatching = o.writes?.onWrite(done);
  });
}

interface Checkpoint {
  streamArn: string;
  /** Shard id → sequence number of the last record handled (delivered, skipped by filter, or parked). */
  shards: Record<string, string>;
}

async function consumerLoop(o: LoopOptions): Promise<void> {
  const { streams, streamArn, consumer, logger, control } = o;
  const checkpointFile = o.stateDir ? join(o.stateDir, 'checkpoints', `${consumer.name}.json`) : undefined;
  const failureFile = o.stateDir ? join(o.stateDir, 'failures', `${consumer.name}.jsonl`) : undefined;
  const checkpoint = await readCheckpoint(checkpointFile, streamArn);
  const iterators = new Map<string, string | undefined>();

  async function iteratorAt(shardId: string): Promise<string | undefined> {
    const after = checkpoint.shards[shardId];
    const ask = (type: ShardIteratorType, sequence?: string) =>
      streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: type,
          ...(sequence ? { SequenceNumber: sequence } : {}),
        }),
      );
    if (!after) return (await ask('TRIM_HORIZON')).ShardIterator;
    try {
      return (await ask('AFTER_SEQUENCE_NUMBER', after)).ShardIterator;
    } catch (error) {
      // The checkpointed record has aged out of the stream (24 h on AWS): everything kept is newer.
      if ((error as Error).name !== 'TrimmedDataAccessException') throw error;
      return (await ask('TRIM_HORIZON')).ShardIterator;
    }
  }

  async function discoverShards(): Promise<void> {
    const out = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of out.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || iterators.has(shard.ShardId)) continue;
      iterators.set(shard.ShardId, await iteratorAt(shard.ShardId));
    }
  }

  async function saveCheckpoint(): Promise<void> {
    if (!checkpointFile) return;
    const temporary = `${checkpointFile}.tmp`;
    await writeFile(temporary, JSON.stringify(checkpoint));
    await rename(temporary, checkpointFile);
  }

  /** Delivers `records` until each is handled or parked; never gives up on the shard. */
  function deliver(shardId: string, records: _Record[]): Promise<void> {
    return deliverInOrder(consumer.name, consumer.handler, records, {
      maxAttempts: o.maxAttempts ?? DEFAULT_ATTEMPTS,
      retryMs: o.retryMs ?? DEFAULT_RETRY_MS,
      shardId,
      logger,
      stopped: () => control.stopped,
      park: async (failure: StreamFailure) => {
        if (failureFile) await appendFile(failureFile, `${JSON.stringify(failure)}\n`);
      },
    });
  }

  async function pollOnce(): Promise<boolean> {
    let moved = false;
    for (const [shardId, iterator] of iterators) {
      if (!iterator || control.stopped) continue;
      let out: GetRecordsCommandOutput;
      try {
        out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
      } catch (error) {
        // An iterator expires after 15 minutes, or DynamoDB Local trims under it: pick up after the
        // checkpoint again (never from the start, which would replay what was handled).
        const name = (error as Error).name;
        if (name !== 'ExpiredIteratorException' && name !== 'TrimmedDataAccessException') throw error;
        iterators.set(shardId, await iteratorAt(shardId));
        continue;
      }
      const records = out.Records ?? [];
      const filters = Array.isArray(consumer.filter) ? consumer.filter : [consumer.filter];
      const matching = records.filter((r) => filters.some((f: FilterPattern) => matchesFilter(f, r)));
      if (matching.length > 0) await deliver(shardId, matching);
      if (control.stopped) return moved;
      iterators.set(shardId, out.NextShardIterator);
      const last = records.at(-1)?.dynamodb?.SequenceNumber;
      if (last) {
        checkpoint.shards[shardId] = last;
        await saveCheckpoint();
        moved = true;
      }
    }
    return moved;
  }

  let lastDiscovery = 0;
  const idleMs = o.intervalMs ?? (o.writes ? IDLE_WITH_SIGNAL_MS : BUSY_MS);
  let writes = o.writes?.count ?? 0;
  let wroteAt = 0;
  while (!control.stopped) {
    let moved = false;
    // Writes seen before this read: one made while it ran cuts the wait after it short.
    const seen = o.writes?.count ?? 0;
    if (seen !== writes) [writes, wroteAt] = [seen, Date.now()];
    try {
      if (Date.now() - lastDiscovery > DISCOVERY_MS) {
        await discoverShards();
        lastDiscovery = Date.now();
      }
      moved = await pollOnce();
    } catch (error) {
      if (!control.stopped) logger.error('stream poll failed', { consumer: consumer.name, error });
    }
    if (!moved) {
      const busy = Date.now() - wroteAt < AFTER_WRITE_MS;
      await idle(o, control, seen, busy ? Math.min(BUSY_MS, idleMs) : idleMs);
    }
  }
}

async function readCheckpoint(file: string | undefined, streamArn: string): Promise<Checkpoint> {
  const fresh: Checkpoint = { streamArn, shards: {} };
  if (!file) return fresh;
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as Checkpoint;
    // A new table (data directory wiped) has a new stream: its shards start from the oldest record.
    return saved.streamArn === streamArn && typeof saved.shards === 'object' ? saved : fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fresh;
    throw error;
  }
}
