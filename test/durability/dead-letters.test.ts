import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/sqs-dead-letters.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/local/dynamodb-local.ts';
import { makeLogger } from '../../lib/log/logger.ts';
import { artifact } from '../fixtures/artifacts.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

describe('a write parked in the dead-letter queue', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack();
  }, 60_000);
  afterAll(async () => t?.close());

  async function waitState(id: string, state: string) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { body } = await t.request('GET', `/api/releases/${id}`);
      if (body.state === state) return body;
      if (Date.now() > deadline) throw new Error(`${id} never ${state}: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('is marked failed with a reason naming `ferry requeue`, and a requeue releases it', async () => {
    await t.stack.writer.pause();
    const shipped = await t.ship(
      artifact({}, [
        { app: 'web', env: 'dlq', manifests: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n' },
      ]),
    );
    const created = await t.request('POST', '/api/releases', {
      body: { env: 'dlq', app: 'web', artifactId: shipped.id },
    });
    const id = created.body.id as string;
    await waitState(id, 'queued');
    // What SQS does after maxReceiveCount failed receives: the message moves to the dead-letter queue.
    const sqs = new SQSClient({
      endpoint: t.stack.queues.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: t.stack.queues.deadLetterQueueUrl,
        MessageBody: JSON.stringify({ requestId: id }),
        MessageGroupId: 'g',
        MessageDeduplicationId: id,
      }),
    );
    const failed = await waitState(id, 'failed');
    expect(failed).toMatchObject({ done: true, outcome: 'failure' });
    expect(failed.reason).toContain(`ferry requeue ${id}`);

    t.stack.writer.resume();
    const again = await t.request('POST', `/api/releases/${id}/requeue`);
    expect(again.status).toBe(201);
    const requeued = await waitState(again.body.id, 'committed');
    expect(requeued).toMatchObject({
      cause: `requeue of ${id}`,
      artifactId: shipped.id,
      env: 'dlq',
      app: 'web',
    });
    expect((await t.request('GET', `/api/releases/${id}`)).body.state).toBe('failed');
    const twice = await t.request('POST', `/api/releases/${again.body.id}/requeue`);
    expect(twice.status).toBe(409);
    sqs.destroy();
  }, 60_000);

  /** A record as Lambda's SQS event source hands it over (only the fields the handler reads matter). */
  const record = (messageId: string, body: string): SQSRecord =>
    ({
      messageId,
      receiptHandle: `rh-${messageId}`,
      body,
      attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'g' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:WriteDeadLetters.fifo',
      awsRegion: 'eu-west-1',
    }) as unknown as SQSRecord;

  it('on AWS, the sqs-dead-letters handler marks it failed the same way, and requeue releases it', async () => {
    await t.stack.writer.pause();
    const shipped = await t.ship(
      artifact({}, [
        {
          app: 'api',
          env: 'dlq-aws',
          manifests: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n',
        },
      ]),
    );
    const created = await t.request('POST', '/api/releases', {
      body: { env: 'dlq-aws', app: 'api', artifactId: shipped.id },
    });
    const id = created.body.id as string;
    await waitState(id, 'queued');

    const logs: string[] = [];
    const handler = makeHandler({
      releases: t.stack.deps.releases,
      clock: t.stack.deps.clock,
      logger: makeLogger((line) => logs.push(line)),
    });
    const event: SQSEvent = {
      Records: [
        record('m1', JSON.stringify({ requestId: id })),
        record('m2', 'not json'),
        record('m3', JSON.stringify({ requestId: 'no-such-request' })),
      ],
    };
    // The unreadable message and the unknown request are dropped: no retry can change them.
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const failed = await waitState(id, 'failed');
    expect(failed).toMatchObject({ done: true, outcome: 'failure' });
    expect(failed.reason).toContain('failed 1 times and was parked in the dead-letter queue');
    expect(failed.reason).toContain(`ferry requeue ${id}`);
    expect(logs.some((l) => l.includes(id) && l.includes('"markedFailed":true'))).toBe(true);
    expect(logs.some((l) => l.includes('unreadable dead letter dropped') && l.includes('m2'))).toBe(true);

    // Delivered again (SQS is at-least-once): the finished request stays as it is.
    expect(await handler({ Records: [record('m1', JSON.stringify({ requestId: id }))] })).toEqual({
      batchItemFailures: [],
    });
    expect((await t.request('GET', `/api/releases/${id}`)).body.reason).toBe(failed.reason);

    t.stack.writer.resume();
    const again = await t.request('POST', `/api/releases/${id}/requeue`);
    expect(again.status).toBe(201);
    expect(await waitState(again.body.id, 'committed')).toMatchObject({ cause: `requeue of ${id}` });
  }, 60_000);

  it('reports the message back to SQS when the table cannot be written, so it is tried again', async () => {
    const handler = makeHandler({
      releases: {
        ...t.stack.deps.releases,
        advance: async () => {
          throw new Error('throttled');
        },
      },
      clock: t.stack.deps.clock,
      logger: makeLogger(() => {}),
    });
    expect(await handler({ Records: [record('m9', JSON.stringify({ requestId: 'r-1' }))] })).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm9' }],
    });
  });
});
