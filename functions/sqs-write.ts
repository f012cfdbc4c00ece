import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseWriteMessage } from '../lib/adapters/sqs/write-queue.ts';
import { measureQueueAge } from '../lib/app/release-metrics.ts';
import { type QueuedWrite, type WriterDeps, writeBatch } from '../lib/app/write-batch.ts';
import { lambdaWriterDeps, lazy } from '../lib/compose/lambda.ts';
import { withCorrelationId } from '../lib/log/invocation.ts';

/**
 * FIFO queue → gitops repository (reserved concurrency 1). Messages the writer could not finish are
 * reported so SQS redelivers only those; an unreadable message is dropped with a log line, since no retry
 * can make it readable.
 */
export const makeHandler =
  (deps: WriterDeps) =>
  async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const writes: QueuedWrite[] = [];
    for (const record of event.Records) {
      const message = parseWriteMessage(record.body);
      const groupId = record.attributes.MessageGroupId;
      const sentAt = Number(record.attributes.SentTimestamp);
      if (sentAt) measureQueueAge(sentAt, deps.clock.now());
      if (message)
        writes.push({
          messageId: record.messageId,
          requestId: message.requestId,
          ...(groupId ? { groupId } : {}),
        });
      else deps.logger.error('unreadable write message dropped', { messageId: record.messageId });
    }
    const retry = await withCorrelationId(
      writes.map((w) => w.requestId),
      () => writeBatch(deps, writes),
    );
    return { batchItemFailures: retry.map((messageId) => ({ itemIdentifier: messageId })) };
  };

export const handler = lazy(lambdaWriterDeps, makeHandler);
