import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { REQUEST_PREFIX } from '../adapters/dynamodb/release-store.ts';
import { KEY } from '../adapters/dynamodb/schema.ts';
import { groupOf, repoKey } from '../app/dispatch.ts';
import type { Clock, ReleaseStore, WriteQueue } from '../app/ports.ts';
import { appPath } from '../domain/gitops.ts';
import type { ReleaseRequest } from '../domain/release.ts';
import type { Logger } from '../log/logger.ts';

/**
 * The local queue (fauxqs) lives in memory: a crash loses every message on it, which on AWS SQS would
 * have survived. On start the local stack makes up for it from the table, the outbox: every request that
 * was accepted but never reached a terminal state (`requested`, or `queued` and lost with the queue) is
 * sent again, oldest first. Sending twice is safe: the writer's exactly-once check finds a request whose
 * commit is already in git by its trailer, and records instead of committing again.
 */
export async function resendUnfinished(deps: {
  dynamo: DynamoDBClient;
  tableName: string;
  releases: ReleaseStore;
  queue: WriteQueue;
  gitops: { url: string; branch: string };
  /** The repository key of an environment when there are several. */
  repoKeyOf?: (env: string) => string;
  clock: Clock;
  logger: Logger;
}): Promise<number> {
  const unfinished: ReleaseRequest[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await deps.dynamo.send(
      new ScanCommand({
        TableName: deps.tableName,
        ConsistentRead: true,
        FilterExpression: 'begins_with(#pk, :prefix) AND #state IN (:requested, :queued, :waiting)',
        ExpressionAttributeNames: { '#pk': KEY.partition, '#state': 'state' },
        ExpressionAttributeValues: {
          ':prefix': { S: REQUEST_PREFIX },
          ':requested': { S: 'requested' },
          ':queued': { S: 'queued' },
          ':waiting': { S: 'waiting' },
        },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) {
      const request = unmarshall(item).request as ReleaseRequest;
      // A parked request stays parked; one the gate sweep released was on its way to the writer.
      if (request.state !== 'waiting' || request.gate?.releasedAt) unfinished.push(request);
    }
    start = out.LastEvaluatedKey;
  } while (start);
  if (unfinished.length === 0) return 0;
  unfinished.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const failed = new Set(
    await deps.queue.send(
      unfinished.map((r) => ({
        requestId: r.id,
        // Per app, as the local dispatcher groups (lib/app/dispatch.ts groupOf).
        groupId: groupOf(
          deps.repoKeyOf?.(r.env) ?? repoKey(deps.gitops.url, deps.gitops.branch),
          r.env,
          r.app,
          true,
        ),
        orderKey: appPath(r.env, r.app),
        ...(r.state === 'waiting' ? { dedupId: `${r.id}#release-${r.gate?.parks ?? 0}` } : {}),
      })),
    ),
  );
  const at = deps.clock.now().toISOString();
  for (const request of unfinished) {
    if (request.state === 'requested' && !failed.has(request.id)) {
      await deps.releases.advance(request.id, { state: 'queued', at });
    }
  }
  deps.logger.info('re-sent unfinished requests from the table', {
    sent: unfinished.length - failed.size,
    failed: failed.size,
  });
  if (failed.size > 0) throw new Error(`could not re-send ${failed.size} unfinished requests to the queue`);
  return unfinished.length;
}
