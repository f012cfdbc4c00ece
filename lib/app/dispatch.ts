import { createHash } from 'node:crypto';
import { appPath } from '../domain/gitops.ts';
import type { ReleaseRequest } from '../domain/release.ts';
import { withCorrelationId } from '../log/invocation.ts';
import type { Logger } from '../log/logger.ts';
import type { Clock, ReleaseStore, WriteQueue } from './ports.ts';
import { measureRelayed } from './release-metrics.ts';

export interface DispatchDeps {
  releases: ReleaseStore;
  queue: WriteQueue;
  clock: Clock;
  logger: Logger;
  gitopsRepo: string;
  gitopsBranch: string;
  /** The repository key of an environment when there are several (FERRY_GITOPS_REPOS). */
  repoKeyOf?: (env: string) => string;
  /** One group per app instead of per repository: see groupOf. */
  groupPerApp?: boolean;
}

/**
 * The FIFO message group is the repository branch: SQS hands out one batch of a group at a time, so writes
 * to one repository are serialised (and in order) whatever the writer's concurrency, while the groups of
 * other repositories go to other writers in parallel. A message that keeps failing holds back its
 * repository until it succeeds or reaches the dead-letter queue; the writer itself turns every release
 * that cannot be written into `failed`, so only infrastructure faults do that. The key is hashed to fit
 * SQS's 128-character limit.
 */
export function messageGroup(repoKey: string): string {
  return `repo-${createHash('sha256').update(repoKey).digest('hex').slice(0, 32)}`;
}

/**
 * The group of a request. On AWS it is the repository: SQS "attempts to return as many messages with the
 * same message group ID as possible" in one ReceiveMessage, up to ten, in order
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html).
 * The local queue (fauxqs 1.9.2) hands out one message per group per call, which would make every local
 * batch a batch of one; locally the group is the app and the writer serialises per repository in process.
 */
export function groupOf(repoKeyValue: string, env: string, app: string, perApp = false): string {
  return messageGroup(perApp ? `${repoKeyValue}#${appPath(env, app)}` : repoKeyValue);
}

/** The key the writer serialises on: repository URL and branch. */
export function repoKey(url: string, branch: string): string {
  return `${url}#${branch}`;
}

/** Requests of one `<env>/<app>` in the order their sequence numbers give, groups in order of appearance. */
function inRecordedOrder(requests: ReleaseRequest[]): ReleaseRequest[] {
  const byApp = new Map<string, ReleaseRequest[]>();
  for (const r of requests) {
    const key = appPath(r.env, r.app);
    byApp.set(key, [...(byApp.get(key) ?? []), r]);
  }
  return [...byApp.values()].flatMap((rs) => rs.sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0)));
}

/**
 * The outbox relay: requests recorded in DynamoDB go to the FIFO queue, deduplicated by request id, and
 * move to `queued`. A stream replay sends nothing twice for requests the writer already finished.
 * Returns the ids that could not be sent, for the stream to retry.
 */
export async function dispatchRequests(deps: DispatchDeps, ids: readonly string[]): Promise<string[]> {
  // Stream shards order records per item only: restore the recording order before queueing.
  // A waiting request comes back once the gate sweep released it (a RELEASE mark on the stream).
  const pending = inRecordedOrder(
    (await deps.releases.getMany(ids)).filter(
      (r) => r.state === 'requested' || (r.state === 'waiting' && r.gate?.releasedAt),
    ),
  );
  if (pending.length === 0) return [];
  const failed = new Set(
    await deps.queue.send(
      pending.map((r: ReleaseRequest) => ({
        requestId: r.id,
        groupId: groupOf(
          deps.repoKeyOf?.(r.env) ?? repoKey(deps.gitopsRepo, deps.gitopsBranch),
          r.env,
          r.app,
          deps.groupPerApp,
        ),
        orderKey: appPath(r.env, r.app),
        // SQS drops a second message with the same deduplication id for five minutes: each release is new.
        ...(r.state === 'waiting' ? { dedupId: `${r.id}#release-${r.gate?.parks ?? 0}` } : {}),
      })),
    ),
  );
  // The writer may already have moved a request further; advance() then leaves it alone.
  await Promise.all(
    pending
      .filter((request) => !failed.has(request.id) && request.state === 'requested')
      .map((request) =>
        withCorrelationId(request.id, async () => {
          await deps.releases.advance(request.id, { state: 'queued', at: deps.clock.now().toISOString() });
          measureRelayed(request);
          deps.logger.info('request queued', { requestId: request.id, intent: request.intent });
        }),
      ),
  );
  if (failed.size > 0)
    deps.logger.error('could not queue requests; the stream will retry', { ids: [...failed] });
  return [...failed];
}
