import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { streamImage } from '../lib/adapters/dynamodb/stream-image.ts';
import { announce, type NotifyDeps, notifyChanges, type RequestChange } from '../lib/app/notify.ts';
import type { Announcement } from '../lib/app/ports.ts';
import { lazy } from '../lib/compose/lambda.ts';
import { lambdaNotifyDeps } from '../lib/compose/notify.ts';
import { failureReason, isRetryable } from '../lib/domain/errors.ts';
import type { ReleaseRequest } from '../lib/domain/release.ts';

/**
 * A route of stream-router, run as its own function that the router invokes (on AWS) or calls (local
 * stack): DynamoDB stream → Slack and GitHub. Its filter passes only changed REQUEST items, with
 * old and new images; a record that could not be told is reported, and the stream retries from it.
 */
export const makeHandler =
  (deps: NotifyDeps) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const sequences: string[] = [];
    const changes: RequestChange[] = [];
    const failedAnnouncements: string[] = [];
    for (const record of event.Records) {
      const announcement = streamImage(record.dynamodb?.NewImage)?.announcement as Announcement | undefined;
      if (announcement && record.eventName === 'INSERT') {
        await announce(deps, announcement).catch((error: unknown) => {
          if (!isRetryable(error)) {
            deps.logger.error('could not announce; not retried', { reason: failureReason(error) });
            return;
          }
          deps.logger.error('could not announce; the stream will retry', { error });
          if (record.dynamodb?.SequenceNumber) failedAnnouncements.push(record.dynamodb.SequenceNumber);
        });
        continue;
      }
      const after = requestIn(record.dynamodb?.NewImage);
      const sequence = record.dynamodb?.SequenceNumber;
      if (!after || !sequence) continue;
      const before = requestIn(record.dynamodb?.OldImage);
      sequences.push(sequence);
      changes.push(before ? { before, after } : { after });
    }
    const failed = await notifyChanges(deps, changes);
    return {
      batchItemFailures: [...failedAnnouncements, ...failed.flatMap((i) => sequences[i] ?? [])].map((s) => ({
        itemIdentifier: s,
      })),
    };
  };

/** The request an item image holds; undefined for an image without one (nothing to tell). */
function requestIn(image: unknown): ReleaseRequest | undefined {
  const request = streamImage(image)?.request as ReleaseRequest | undefined;
  return typeof request?.id === 'string' && typeof request.state === 'string' ? request : undefined;
}

export const handler = lazy(lambdaNotifyDeps, makeHandler, { functionName: 'stream-notify' });
