import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Logger } from '../log/logger.ts';
import type { Poller } from './stream-poller.ts';

/**
 * Feeds a FIFO queue to one handler at a time, as a Lambda SQS event source with reserved concurrency 1
 * and `ReportBatchItemFailures` would: messages the handler reports stay on the queue and come back after
 * the visibility timeout; the rest are deleted.
 */
export interface QueuePoller extends Poller {
  /** Stops taking new batches once the current one is done (messages wait on the queue). */
  pause(): Promise<void>;
  resume(): void;
}

export function startQueuePoller(options: {
  sqs: SQSClient;
  queueUrl: string;
  queueArn?: string;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  logger: Logger;
  batchSize?: number;
}): QueuePoller {
  const { sqs, queueUrl, logger } = options;
  let stopped = false;
  let paused = false;
  let idle: Promise<void> = Promise.resolve();
  // Stopping cuts short a receive that is waiting for messages (never a batch being handled).
  const receiving = new AbortController();

  async function pollOnce(): Promise<void> {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: options.batchSize ?? 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
      { abortSignal: receiving.signal },
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0 || stopped) return;
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, options.queueArn ?? queueUrl)) };
    const result = await options.handler(event).catch((error) => {
      logger.error('queue consumer threw; every message of the batch will be retried', { error });
      return { batchItemFailures: messages.map((m) => ({ itemIdentifier: m.MessageId ?? '' })) };
    });
    const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
  }

  const loop = (async () => {
    while (!stopped) {
      if (paused) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      try {
        const batch = pollOnce();
        idle = batch.then(
          () => undefined,
          () => undefined,
        );
        await batch;
      } catch (error) {
        if (stopped) break;
        logger.error('queue poll failed', { error });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      receiving.abort();
      await loop;
    },
    async pause() {
      paused = true;
      await idle;
    },
    resume() {
      paused = false;
    },
  };
}

function toRecord(message: Message, source: string): SQSRecord {
  const a = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? '',
      SenderId: a.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '',
      ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
      ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
      ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: source,
    awsRegion: 'local',
  };
}
