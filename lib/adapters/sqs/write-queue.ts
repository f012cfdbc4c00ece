import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueuedMessage, WriteQueue } from '../../app/ports.ts';

const SQS_BATCH = 10;
const SQS_ID_MAX = 128;
const SQS_ID_ALPHABET = /^[a-zA-Z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+$/;

/** The message carries only the request id: DynamoDB holds the request, so a message can never be stale. */
export interface WriteMessage {
  requestId: string;
}

/**
 * Sends in SendMessageBatch calls of up to ten entries, at most one per order key (`<env>/<app>`): SQS
 * reports each entry on its own, so a refused entry must not have a later entry of its app accepted beside
 * it, and once one is refused the rest of its app is not sent at all (reported failed, for the stream to
 * retry in order). Entries of other apps in the same group (the repository) may go together: their
 * relative order does not matter, only that one writer at a time handles the group.
 */
export function makeSqsWriteQueue(client: SQSClient, queueUrl: string): WriteQueue {
  return {
    async send(messages) {
      const failed: string[] = [];
      const failedGroups = new Set<string>();
      let rest = [...messages];
      while (rest.length > 0) {
        const batch: QueuedMessage[] = [];
        const later: QueuedMessage[] = [];
        const inBatch = new Set<string>();
        for (const m of rest) {
          const order = m.orderKey ?? m.groupId;
          if (failedGroups.has(order)) failed.push(m.requestId);
          else if (batch.length < SQS_BATCH && !inBatch.has(order)) {
            batch.push(m);
            inBatch.add(order);
          } else later.push(m);
        }
        rest = later;
        const refuse = (m: QueuedMessage) => {
          failed.push(m.requestId);
          failedGroups.add(m.orderKey ?? m.groupId);
        };
        try {
          const out = await client.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: batch.map((m, n) => ({
                Id: String(n),
                MessageBody: JSON.stringify({ requestId: m.requestId } satisfies WriteMessage),
                MessageGroupId: sqsId(m.groupId),
                MessageDeduplicationId: sqsId(m.dedupId ?? m.requestId),
              })),
            }),
          );
          for (const f of out.Failed ?? []) {
            const message = batch[Number(f.Id)];
            if (message) refuse(message);
          }
        } catch {
          batch.forEach(refuse);
        }
      }
      return failed;
    },
  };
}

/**
 * SQS allows up to 128 characters for MessageGroupId and MessageDeduplicationId, from a-z, A-Z, 0-9 and
 * ASCII punctuation (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html).
 * An id that does not fit (a group of two 63-character names is 144) keeps its first 60 characters for
 * people reading the queue, followed by the SHA-256 of the whole id, so distinct ids stay distinct.
 */
export function sqsId(id: string): string {
  if (id.length <= SQS_ID_MAX && SQS_ID_ALPHABET.test(id)) return id;
  const readable = id.replace(/[^a-zA-Z0-9\-./:_]/g, '_').slice(0, 60);
  return `${readable}#${createHash('sha256').update(id).digest('hex')}`;
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
