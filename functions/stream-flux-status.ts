import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { storedFluxEvent } from '../lib/adapters/dynamodb/flux-store.ts';
import { streamImage } from '../lib/adapters/dynamodb/stream-image.ts';
import { applyFluxEvents, type FluxStatusDeps } from '../lib/app/flux-status.ts';
import type { StoredFluxEvent } from '../lib/app/ports.ts';
import { lambdaFluxStatusDeps, lazy } from '../lib/compose/lambda.ts';

/**
 * A route of stream-router, run as its own function that the router invokes (on AWS) or calls (local
 * stack): DynamoDB stream (new Flux events) → release states. Events apply in arrival order; the first that
 * fails is reported with everything after it, so the stream retries them in the same order.
 */
export const makeHandler =
  (deps: FluxStatusDeps) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const events: { sequence: string; stored: StoredFluxEvent }[] = [];
    for (const record of event.Records) {
      const image = streamImage(record.dynamodb?.NewImage);
      const stored = image ? storedFluxEvent(image) : undefined;
      const sequence = record.dynamodb?.SequenceNumber;
      if (!stored) deps.logger.error('flux event record unreadable; skipped', { sequence });
      if (stored && sequence) events.push({ sequence, stored });
    }
    const failed = new Set(
      await applyFluxEvents(
        deps,
        events.map((e) => e.stored),
      ),
    );
    const first = events.find((e) => failed.has(e.stored.id));
    return { batchItemFailures: first ? [{ itemIdentifier: first.sequence }] : [] };
  };

export const handler = lazy(lambdaFluxStatusDeps, makeHandler, { functionName: 'stream-flux-status' });
