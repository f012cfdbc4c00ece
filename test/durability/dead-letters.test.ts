import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/local/dynamodb-local.ts';
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
});
