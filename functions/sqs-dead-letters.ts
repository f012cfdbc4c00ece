import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseWriteMessage } from '../lib/adapters/sqs/write-queue.ts';
import { type DeadLetterDeps, markParked } from '../lib/app/dead-letters.ts';
import { lambdaDeadLetterDeps, lazy } from '../lib/compose/lambda.ts';

/**
 * Write dead-letter queue → the parked requests read `failed`, with the way back (`ferry requeue`).
 * Messages whose request could not be marked are reported, so SQS delivers only those again.
 */
export const makeHandler =
  (deps: DeadLetterDeps) =>
  async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const keep = await markParked(
      deps,
      event.Records.map((record) => ({
        messageId: record.messageId,
        requestId: parseWriteMessage(record.body)?.requestId,
        receives: record.attributes.ApproximateReceiveCount,
      })),
    );
    return { batchItemFailures: keep.map((messageId) => ({ itemIdentifier: messageId })) };
  };

export const handler = lazy(lambdaDeadLetterDeps, makeHandler);
