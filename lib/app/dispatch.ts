import { createHash } from 'node:crypto';
import { appPath } from '../domain/gitops.ts';
import type { ReleaseRequest } from '../domain/release.ts';
import type { Logger } from '../log/logger.ts';
import type { Clock, ReleaseStore, WriteQueue } from './ports.ts';

export interface DispatchDeps {
  releases: ReleaseStore;
  queue: WriteQueue;
  clock: Clock;
  logger: Logger;
  gitopsRepo: string;
  gitopsBranch: string;
}

/**
 * The FIFO message group: writes to one app of one repository branch apply in order, and a stuck one
 * blocks only that app. SQS allows 128 characters, so the repository is hashed.
 */
export function messageGroup(repo: string, branch: string, env: string, app: string): string {
  const target = createHash('sha256').update(`${repo}#${branch}`).digest('hex').slice(0, 16);
  return `${target}:${appPath(env, app)}`;
}

/**
 * The outbox relay: requests recorded in DynamoDB go to the FIFO queue, deduplicated by request id, and
 * move to `queued`. A stream replay sends nothing twice for requests the writer already finished.
 * Returns the ids that could not be sent, for the stream to retry.
 */
export async function dispatchRequests(deps: DispatchDeps, ids: readonly string[]): Promise<string[]> {
  const pending = (await deps.releases.getMany(ids)).filter((r) => r.state === 'requested');
  if (pending.length === 0) return [];
  const failed = new Set(
    await deps.queue.send(
      pending.map((r: ReleaseRequest) => ({
        requestId: r.id,
        groupId: messageGroup(deps.gitopsRepo, deps.gitopsBranch, r.env, r.app),
      })),
    ),
  );
  // The writer may already have moved a request further; advance() then leaves it alone.
  await Promise.all(
    pending
      .filter((request) => !failed.has(request.id))
      .map((request) =>
        deps.releases.advance(request.id, { state: 'queued', at: deps.clock.now().toISOString() }),
      ),
  );
  if (failed.size > 0)
    deps.logger.error('could not queue requests; the stream will retry', { ids: [...failed] });
  return [...failed];
}
