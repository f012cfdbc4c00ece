import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseWriteMessage } from '../adapters/sqs/write-queue.ts';
import { markParked } from '../app/dead-letters.ts';
import type { Clock, ReleaseStore } from '../app/ports.ts';
import type { Logger } from '../log/logger.ts';
import type { Poller } from './stream-poller.ts';

/**
 * Polls the write queue's dead-letter queue and hands what it finds to `markParked`, as the
 * `sqs-dead-letters` function does on AWS; a message marked (or unreadable) is deleted.
 */
export function startDeadLetterWatcher(options: {
  sqs: SQSClient;
  queueUrl: string;
  releases: ReleaseStore;
  clock: Clock;
  logger: Logger;
}): Poller {
  const { sqs, queueUrl, logger } = options;
  let stopped = false;
  // Stopping cuts short a receive that is waiting for messages.
  const receiving = new AbortController();
  const loop = (async () => {
    while (!stopped) {
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: receiving.signal },
        );
        const messages = out.Messages ?? [];
        const keep = await markParked(
          options,
          messages.map((message, index) => ({
            messageId: message.MessageId ?? String(index),
            requestId: parseWriteMessage(message.Body ?? '')?.requestId,
            receives: message.Attributes?.ApproximateReceiveCount,
          })),
        );
        for (const [index, message] of messages.entries()) {
          if (keep.includes(message.MessageId ?? String(index))) continue;
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        }
      } catch (error) {
        if (stopped) break;
        logger.error('dead-letter watch failed', { error });
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
  };
}
