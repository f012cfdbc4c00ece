import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/stream-router.ts';
import type { StreamFailure, StreamHandler } from '../../lib/adapters/dynamodb/stream-fanout.ts';
import { silentLogger } from '../../lib/log/logger.ts';

const record = (seq: string, pk: string) => ({
  eventName: 'INSERT',
  dynamodb: { SequenceNumber: seq, Keys: { pk: { S: pk } } },
});
const only = (prefix: string) => ({ dynamodb: { Keys: { pk: { S: [{ prefix }] } } } });

/** A consumer that records what it was handed and fails the records `failing` names. */
function consumer(failing: (seq: string) => boolean = () => false) {
  const seen: string[] = [];
  const handler: StreamHandler = async (event) => {
    const sequences = event.Records.map((r) => r.dynamodb?.SequenceNumber ?? '');
    seen.push(...sequences);
    const bad = sequences.find(failing);
    return { batchItemFailures: bad ? [{ itemIdentifier: bad }] : [] };
  };
  return { seen, handler };
}

describe('the stream router', () => {
  it('parks what one consumer keeps failing while the others get every record they match', async () => {
    // Prepare: two consumers on one batch; b fails record 2 every time.
    const a = consumer();
    const b = consumer((seq) => seq === '2');
    const parked: StreamFailure[] = [];
    const router = makeHandler({
      routes: [
        { name: 'a', filter: only('A#'), handler: a.handler },
        { name: 'b', filter: only('B#'), handler: b.handler },
      ],
      park: async (failure) => {
        parked.push(failure);
      },
      maxAttempts: 3,
      retryMs: 1,
      logger: silentLogger,
    });
    const event = {
      Records: [record('1', 'A#1'), record('2', 'B#1'), record('3', 'A#2'), record('4', 'B#2')],
    } as unknown as DynamoDBStreamEvent;
    // Act
    const response = await router(event);
    // Assess: a saw its records once; b tried 2 three times, parked it, and went on to 4.
    expect(response.batchItemFailures).toEqual([]);
    expect(a.seen).toEqual(['1', '3']);
    expect(b.seen).toEqual(['2', '4', '2', '4', '2', '4', '4']);
    expect(parked).toEqual([
      expect.objectContaining({
        consumer: 'b',
        sequenceNumber: '2',
        attempts: 3,
        keys: { pk: { S: 'B#1' } },
      }),
    ]);
  });

  it('reports the first record a consumer could not even park, so the stream delivers it again', async () => {
    const a = consumer();
    const b = consumer((seq) => seq === '3');
    const router = makeHandler({
      routes: [
        { name: 'a', filter: only('A#'), handler: a.handler },
        { name: 'b', filter: only('B#'), handler: b.handler },
      ],
      park: async () => {
        throw new Error('SQS unavailable');
      },
      maxAttempts: 2,
      retryMs: 1,
      logger: silentLogger,
    });
    const event = {
      Records: [record('1', 'A#1'), record('2', 'B#1'), record('3', 'B#2'), record('4', 'A#2')],
    } as unknown as DynamoDBStreamEvent;
    expect(await router(event)).toEqual({ batchItemFailures: [{ itemIdentifier: '3' }] });
    expect(a.seen).toEqual(['1', '4']);
  });
});
