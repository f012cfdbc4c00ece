import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { streamImage } from '../lib/adapters/dynamodb/stream-image.ts';
import { type DispatchDeps, dispatchRequests } from '../lib/app/dispatch.ts';
import { lambdaDispatchDeps, lazy } from '../lib/compose/lambda.ts';
import { withCorrelationId } from '../lib/log/invocation.ts';

/**
 * A route of stream-router, run as its own function that the router invokes (on AWS) or calls (local
 * stack): DynamoDB stream → FIFO queue. Its filter passes only new REQUEST items; a record whose
 * request could not be queued is reported, and the stream retries from it.
 */
export const makeHandler =
  (deps: DispatchDeps) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const bySequence = new Map<string, string>();
    for (const record of event.Records) {
      const request = streamImage(record.dynamodb?.NewImage)?.request as { id?: unknown } | undefined;
      const id = typeof request?.id === 'string' ? request.id : undefined;
      if (id && record.dynamodb?.SequenceNumber) bySequence.set(record.dynamodb.SequenceNumber, id);
    }
    const ids = [...bySequence.values()];
    const failed = new Set(await withCorrelationId(ids, () => dispatchRequests(deps, ids)));
    return {
      batchItemFailures: [...bySequence]
        .filter(([, id]) => failed.has(id))
        .map(([sequence]) => ({ itemIdentifier: sequence })),
    };
  };

export const handler = lazy(lambdaDispatchDeps, makeHandler, { functionName: 'stream-dispatch' });
