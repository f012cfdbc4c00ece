import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { type FilterPattern, matchesFilter } from '../config/stream-filters.ts';
import type { Logger } from '../log/logger.ts';

export interface StreamConsumer {
  name: string;
  filter: FilterPattern;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
}

export interface Poller {
  stop(): Promise<void>;
}

const RETRY_MS = 1000;

/**
 * Reads the table's stream through the real DynamoDB Streams API and feeds each consumer the records its
 * filter matches, in order, like a Lambda event source mapping: a reported failure is retried from that
 * record on. It starts at the oldest record kept, so requests recorded while the stack was down are still
 * relayed (consumers skip what is already done).
 */
export async function startStreamPoller(options: {
  dynamo: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  tableName: string;
  consumers: StreamConsumer[];
  logger: Logger;
  intervalMs?: number;
}): Promise<Poller> {
  const { streams, logger } = options;
  const table = await options.dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
  const iterators = new Map<string, string | undefined>();
  let stopped = false;

  async function iteratorAt(shardId: string): Promise<string | undefined> {
    const it = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    return it.ShardIterator;
  }

  async function discoverShards(): Promise<void> {
    const out = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of out.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || iterators.has(shard.ShardId)) continue;
      iterators.set(shard.ShardId, await iteratorAt(shard.ShardId));
    }
  }

  async function deliver(consumer: StreamConsumer, records: _Record[]): Promise<void> {
    let pending = records;
    while (pending.length > 0 && !stopped) {
      const event = { Records: pending } as unknown as DynamoDBStreamEvent;
      const failures = await consumer.handler(event).catch((error) => {
        logger.error('stream consumer threw; retrying the batch', { consumer: consumer.name, error });
        return { batchItemFailures: [{ itemIdentifier: pending[0]?.dynamodb?.SequenceNumber ?? '' }] };
      });
      const first = failures.batchItemFailures[0]?.itemIdentifier;
      if (first === undefined) return;
      const at = pending.findIndex((r) => r.dynamodb?.SequenceNumber === first);
      pending = at < 0 ? [] : pending.slice(at);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  async function pollOnce(): Promise<void> {
    for (const [shardId, iterator] of iterators) {
      if (!iterator) continue;
      let out: GetRecordsCommandOutput;
      try {
        out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
      } catch (error) {
        // An iterator expires after 15 minutes, or DynamoDB Local trims under it; start the shard over
        // from its oldest record (consumers skip what they already did).
        const name = (error as Error).name;
        if (name !== 'ExpiredIteratorException' && name !== 'TrimmedDataAccessException') throw error;
        iterators.set(shardId, await iteratorAt(shardId));
        continue;
      }
      iterators.set(shardId, out.NextShardIterator);
      const records = out.Records ?? [];
      for (const consumer of options.consumers) {
        const matching = records.filter((r) => matchesFilter(consumer.filter, r));
        if (matching.length > 0) await deliver(consumer, matching);
      }
    }
  }

  const loop = (async () => {
    let lastDiscovery = 0;
    while (!stopped) {
      try {
        if (Date.now() - lastDiscovery > 5000) {
          await discoverShards();
          lastDiscovery = Date.now();
        }
        await pollOnce();
      } catch (error) {
        if (!stopped) logger.error('stream poll failed', { error });
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
