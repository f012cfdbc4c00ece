import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { WriteQueue } from '../../app/ports.ts';

const SQS_BATCH = 10;

/** The message carries only the request id: DynamoDB holds the request, so a message can never be stale. */
export interface WriteMessage {
  requestId: string;
}

export function makeSqsWriteQueue(client: SQSClient, queueUrl: string): WriteQueue {
  return {
    async send(messages) {
      const failed: string[] = [];
      for (let i = 0; i < messages.length; i += SQS_BATCH) {
        const batch = messages.slice(i, i + SQS_BATCH);
        try {
          const out = await client.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: batch.map((m, n) => ({
                Id: String(n),
                MessageBody: JSON.stringify({ requestId: m.requestId } satisfies WriteMessage),
                MessageGroupId: m.groupId,
                MessageDeduplicationId: m.requestId,
              })),
            }),
          );
          for (const f of out.Failed ?? []) {
            const message = batch[Number(f.Id)];
            if (message) failed.push(message.requestId);
          }
        } catch {
          failed.push(...batch.map((m) => m.requestId));
        }
      }
      return failed;
    },
  };
}

export function parseWriteMessage(body: string): WriteMessage | undefined {
  try {
    const parsed = JSON.parse(body) as Partial<WriteMessage>;
    return typeof parsed.requestId === 'string' && parsed.requestId !== ''
      ? { requestId: parsed.requestId }
      : undefined;
  } catch {
    return undefined;
  }
}
