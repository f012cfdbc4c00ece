import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { type DeliveryOptions, fanOut, type StreamRoute } from '../lib/adapters/dynamodb/stream-fanout.ts';
import { lazy } from '../lib/compose/lambda.ts';
import { lambdaRouterDeps } from '../lib/compose/stream-router.ts';

export interface RouterDeps extends Omit<DeliveryOptions, 'shardId' | 'stopped'> {
  routes: readonly StreamRoute[];
}

/**
 * The table stream's one reader (lib/config/stream-routes.ts says why): each record goes to every
 * consumer whose filter matches, each consumer retrying and parking on its own, so one that fails never
 * holds back another. Only a record that could not even be parked is reported, and the stream delivers
 * the batch again from it. On Lambda a route's handler invokes that consumer's own function and waits for
 * its answer (lib/compose/stream-router.ts); the local stack hands in the consumers' handlers themselves.
 */
export const makeHandler =
  (deps: RouterDeps) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const resumeAt = await fanOut(deps.routes, event.Records, deps);
    return { batchItemFailures: resumeAt ? [{ itemIdentifier: resumeAt }] : [] };
  };

export const handler = lazy(lambdaRouterDeps, makeHandler);
