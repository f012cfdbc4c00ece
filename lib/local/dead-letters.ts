import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseWriteMessage } from '../adapters/sqs/write-queue.ts';
import type { Clock, ReleaseStore } from '../app/ports.ts';
import type { Logger } from '../log/logger.ts';
import type { Poller } from './stream-poller.ts';

/** What a parked request's reason says, so an operator knows both what happened and what to do. */
export function parkedReason(id: string, receives: string | undefined): string {
  return (
    `the write failed ${receives ?? 'several'} times and was parked in the dead-letter queue; ` +
    `nothing was committed. After fixing the cause, \`ferry requeue ${id}\` requests it again`
  );
}

/**
 * Watches the write queue's dead-letter queue: a request parked there is moved to `failed` with a reason
 * naming the way back (`ferry requeue`), instead of reading `queued` forever. On AWS the same queue has
 * an alarm (cdk/ferry-alarms.ts `write-dead-letters`).
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
        );
        for (const message of out.Messages ?? []) {
          const parsed = parseWriteMessage(message.Body ?? '');
          if (parsed) {
            const reason = parkedReason(parsed.requestId, message.Attributes?.ApproximateReceiveCount);
            const at = options.clock.now().toISOString();
            const moved = await options.releases.advance(parsed.requestId, { state: 'failed', at, reason });
            logger.error('write parked in the dead-letter queue', {
              requestId: parsed.requestId,
              markedFailed: moved !== undefined,
            });
          }
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
      await loop;
    },
  };
}
