import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { KEY } from '../lib/adapters/dynamodb/schema.ts';
import { streamImage } from '../lib/adapters/dynamodb/stream-image.ts';
import { type AutoReleaseDeps, releaseArtifacts } from '../lib/app/auto-release.ts';
import { inProcessManifests } from '../lib/app/manifests.ts';
import { lambdaPolicyDeps, lazy } from '../lib/compose/lambda.ts';

/**
 * A route of stream-router, run as its own function that the router invokes (on AWS) or calls (local
 * stack): DynamoDB stream (newly stored artifacts) → release requests their policies match. A record processed
 * twice creates nothing new (request ids derive from artifact, env and app); a failed one is reported.
 */
export const makeHandler =
  (deps: AutoReleaseDeps) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const bySequence = new Map<string, string>();
    for (const record of event.Records) {
      const pk = streamImage(record.dynamodb?.Keys)?.[KEY.partition];
      if (typeof pk === 'string' && pk.startsWith('ARTIFACT#') && record.dynamodb?.SequenceNumber) {
        bySequence.set(record.dynamodb.SequenceNumber, pk.slice('ARTIFACT#'.length));
      }
    }
    const failed = new Set(await releaseArtifacts(deps, [...bySequence.values()]));
    return {
      batchItemFailures: [...bySequence]
        .filter(([, id]) => failed.has(id))
        .map(([sequence]) => ({ itemIdentifier: sequence })),
    };
  };

export const handler = lazy(() => lambdaPolicyDeps(inProcessManifests), makeHandler, {
  functionName: 'stream-policy',
});
