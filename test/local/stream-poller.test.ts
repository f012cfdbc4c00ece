import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTable } from '../../lib/adapters/dynamodb/create-table.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient } from '../../lib/local/dynamodb-local.ts';
import { type StreamConsumer, startStreamPoller } from '../../lib/local/stream-poller.ts';
import { watchWrites } from '../../lib/local/write-signal.ts';
import { makeLogger } from '../../lib/log/logger.ts';

const ALL = { eventName: ['INSERT'] };

describe('local stream poller: one event source mapping per consumer', () => {
  const endpoint = inject('dynamoEndpoint');
  const dynamo = localDynamoClient(endpoint);
  const streams = new DynamoDBStreamsClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const tableName = `poller-${randomUUID()}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'ferry-poller-'));
  const logs: string[] = [];
  const logger = makeLogger((line) => logs.push(line));
  beforeAll(() => ensureTable(dynamo, tableName));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  const put = (pk: string) =>
    dynamo.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: pk }, sk: { S: 'X' } } }));
  const keysOf = (event: DynamoDBStreamEvent) => event.Records.map((r) => r.dynamodb?.Keys?.pk?.S ?? '');

  function recorder(name: string, failOn?: string): StreamConsumer & { seen: string[] } {
    const seen: string[] = [];
    return {
      name,
      filter: ALL,
      seen,
      handler: async (event) => {
        for (const [i, key] of keysOf(event).entries()) {
          if (key === failOn) {
            const sequence = event.Records[i]?.dynamodb?.SequenceNumber ?? '';
            return { batchItemFailures: [{ itemIdentifier: sequence }] };
          }
          if (!seen.includes(key)) seen.push(key);
        }
        return { batchItemFailures: [] };
      },
    };
  }

  async function until(check: () => boolean, ms = 15_000) {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('parks a record that fails every attempt, keeps the other consumers going, and resumes after a restart without replaying', async () => {
    const healthy = recorder('healthy');
    const poisoned = recorder('poisoned', 'b');
    const options = { dynamo, streams, tableName, logger, stateDir, maxAttempts: 3, retryMs: 50 };
    const poller = await startStreamPoller({ ...options, consumers: [poisoned, healthy] });
    for (const key of ['a', 'b', 'c']) await put(key);
    await until(() => healthy.seen.length === 3 && poisoned.seen.length === 2);
    await poller.stop();
    expect(healthy.seen).toEqual(['a', 'b', 'c']);
    expect(poisoned.seen).toEqual(['a', 'c']);
    const parked = readFileSync(join(stateDir, 'failures', 'poisoned.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(parked).toHaveLength(1);
    expect(JSON.parse(parked[0] as string)).toMatchObject({ consumer: 'poisoned', attempts: 3 });

    // Restart: both consumers pick up after their checkpoints; a, b and c are not delivered again.
    const again = [recorder('healthy'), recorder('poisoned')];
    const restarted = await startStreamPoller({ ...options, consumers: again });
    await put('d');
    await until(() => again.every((c) => c.seen.includes('d')));
    await new Promise((r) => setTimeout(r, 300));
    await restarted.stop();
    expect(again.map((c) => c.seen)).toEqual([['d'], ['d']]);
  }, 40_000);

  it('waits long between empty reads, and still picks up at once what the watched client writes', async () => {
    // A client of its own, watched, as the local stack watches the one its functions write through.
    const writer = localDynamoClient(endpoint);
    const writes = watchWrites(writer);
    const table = `poller-signal-${randomUUID()}`;
    await ensureTable(writer, table);
    const seen = recorder('signalled');
    const reads: number[] = [];
    const counting = new DynamoDBStreamsClient({
      endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    counting.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetRecordsCommand') reads.push(Date.now());
        return next(args);
      },
      { step: 'initialize' },
    );
    // Idle reads every 10 s unless woken: only the signal can make the record show up in time.
    const poller = await startStreamPoller({
      dynamo: writer,
      streams: counting,
      tableName: table,
      logger,
      consumers: [seen],
      writes,
      intervalMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 300));
    const idleReads = reads.length;
    const before = writes.count;
    const started = Date.now();
    await writer.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'woken' }, sk: { S: 'X' } } }));
    expect(writes.count).toBe(before + 1);
    await until(() => seen.seen.includes('woken'), 5_000);
    const took = Date.now() - started;
    await poller.stop();
    expect(idleReads).toBeLessThanOrEqual(2);
    expect(took).toBeLessThan(2_000);
  }, 30_000);
});
