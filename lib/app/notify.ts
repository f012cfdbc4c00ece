import type { Version } from '../domain/artifact.ts';
import { failureReason, isRetryable } from '../domain/errors.ts';
import {
  type CommitUrl,
  type MessageRenderer,
  makeMessageRenderer,
  messageBlocks,
  messageView,
} from '../domain/notify-templates.ts';
import type { ReleaseRequest } from '../domain/release.ts';
import { withCorrelationId } from '../log/invocation.ts';
import type { Logger } from '../log/logger.ts';
import type {
  CommitState,
  CommitStatusPort,
  NotificationStore,
  NotifyConfig,
  SlackPort,
} from './notify-ports.ts';
import type { Announcement, ArtifactStore, Clock } from './ports.ts';

export interface NotifyDeps {
  slack: SlackPort;
  commitStatus: CommitStatusPort;
  notifications: NotificationStore;
  artifacts: Pick<ArtifactStore, 'get'>;
  config: NotifyConfig;
  /** The gitops commit's web page, when the repository has one. */
  gitopsCommitUrl?: CommitUrl;
  clock: Clock;
  logger: Logger;
}

export interface RequestChange {
  before?: ReleaseRequest;
  after: ReleaseRequest;
}

/** GitHub keeps at most 140 characters of a status description. */
const DESCRIPTION_LIMIT = 140;

/** Compiled once per configuration (per cold start), not per batch. */
const renderers = new WeakMap<NotifyConfig, MessageRenderer>();

/**
 * Tells Slack and GitHub about release requests that reached a new state. One Slack message follows a
 * request: posted at its first state worth telling, then updated in place. Changes of one request are
 * told in order; once one fails, the later ones of that request are not tried (the stream redelivers
 * them after it, and a replayed state only re-renders the same text). Returns the indexes of the changes
 * that failed.
 */
export async function notifyChanges(deps: NotifyDeps, changes: readonly RequestChange[]): Promise<number[]> {
  const byRequest = new Map<string, { change: RequestChange; index: number }[]>();
  changes.forEach((change, index) => {
    if (!worthTelling(change)) return;
    const group = byRequest.get(change.after.id) ?? [];
    group.push({ change, index });
    byRequest.set(change.after.id, group);
  });
  const versions = versionLookup(deps);
  const failed: number[] = [];
  await Promise.all(
    [...byRequest].map(([id, group]) =>
      withCorrelationId(id, async () => {
        for (const [position, { change }] of group.entries()) {
          try {
            await notify(deps, change.after, await versions(change.after));
            deps.logger.info('notified', { requestId: id, state: change.after.state });
          } catch (error) {
            if (!isRetryable(error)) {
              // A bug or a refusal that will not change: retrying would hold back this request's later states.
              deps.logger.error('could not notify; not retried', {
                requestId: change.after.id,
                state: change.after.state,
                reason: failureReason(error),
              });
              continue;
            }
            deps.logger.error('could not notify; the stream will retry', {
              requestId: change.after.id,
              state: change.after.state,
              error,
            });
            failed.push(...group.slice(position).map((g) => g.index));
            return;
          }
        }
      }),
    ),
  );
  return failed.sort((a, b) => a - b);
}

/** The config's templates, compiled on first use; throws a ValidationError naming a bad override. */
export function messageRenderer(config: NotifyConfig): MessageRenderer {
  let render = renderers.get(config);
  if (!render) {
    render = makeMessageRenderer(config.templates);
    renderers.set(config, render);
  }
  return render;
}

function worthTelling({ before, after }: RequestChange): boolean {
  return before?.state !== after.state && after.state !== 'requested' && after.state !== 'queued';
}

/** Artifacts by id, read once per batch. A deleted artifact is told without its version, never retried. */
function versionLookup(deps: NotifyDeps): (request: ReleaseRequest) => Promise<Version | undefined> {
  const seen = new Map<string, Promise<Version | undefined>>();
  return (request) => {
    const id = request.artifactId;
    if (!id) return Promise.resolve(undefined);
    let version = seen.get(id);
    if (!version) {
      version = deps.artifacts.get(id).then((artifact) => {
        if (!artifact)
          deps.logger.info('artifact not found; notifying without its version', { artifactId: id });
        return artifact?.version;
      });
      seen.set(id, version);
    }
    return version;
  };
}

async function notify(deps: NotifyDeps, request: ReleaseRequest, version: Version | undefined) {
  // Slack and GitHub independently: one being down does not hold the other back.
  const results = await Promise.allSettled([
    tellSlack(deps, request, version),
    setCommitStatus(deps, request, version),
  ]);
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new AggregateError(errors, errors.map((e) => (e as Error).message).join('; '));
  }
}

async function tellSlack(deps: NotifyDeps, request: ReleaseRequest, version: Version | undefined) {
  const channel = deps.config.channels[request.env] ?? deps.config.channels['*'];
  if (!channel) {
    deps.logger.info('no Slack channel for this environment', { requestId: request.id, env: request.env });
    return;
  }
  const text = messageRenderer(deps.config)(messageView(request, version, deps.gitopsCommitUrl));
  const blocks = messageBlocks(text, request);
  if (!(await deps.slack.enabled())) {
    deps.logger.info('Slack is not configured; would send', { requestId: request.id, channel, text, blocks });
    return;
  }
  const existing = await deps.notifications.slackMessage(request.id);
  if (existing) {
    await deps.slack.update(existing.channel, existing.ts, text, blocks);
    return;
  }
  const posted = await deps.slack.post(channel, text, blocks);
  const kept = await deps.notifications.rememberSlackMessage(request.id, posted, deps.clock.now());
  if (kept.ts !== posted.ts || kept.channel !== posted.channel) {
    // Another delivery of this change posted first: keep its message current; ours stays a duplicate.
    deps.logger.warn('a second Slack message was posted for a request', { requestId: request.id });
    await deps.slack.update(kept.channel, kept.ts, text, blocks);
  }
}

/** A message about an environment itself (stopped, resumed, a freeze overridden), posted once. */
export async function announce(deps: NotifyDeps, announcement: Announcement): Promise<void> {
  const env = announcement.env === '*' ? '*' : announcement.env;
  const channels =
    announcement.env === '*'
      ? [...new Set(Object.values(deps.config.channels))]
      : [deps.config.channels[env] ?? deps.config.channels['*']].filter((c): c is string => c !== undefined);
  if (channels.length === 0) {
    deps.logger.info('no Slack channel for this announcement', { env: announcement.env });
    return;
  }
  if (!(await deps.slack.enabled())) {
    deps.logger.info('Slack is not configured; would announce', { channels, text: announcement.text });
    return;
  }
  for (const channel of channels) await deps.slack.post(channel, announcement.text);
}

/** The application commit's status per state; none for the states in between. */
function commitState(request: ReleaseRequest): { state: CommitState; description: string } | undefined {
  const env = request.env;
  switch (request.state) {
    case 'committed':
      return { state: 'pending', description: `Committed to ${env}; waiting for Flux to apply it` };
    case 'succeeded':
      return { state: 'success', description: `Flux applied it to ${env}` };
    case 'failed':
      return { state: 'failure', description: `Failed in ${env}: ${request.reason ?? 'no reason given'}` };
    default:
      return undefined;
  }
}

async function setCommitStatus(deps: NotifyDeps, request: ReleaseRequest, version: Version | undefined) {
  const status = commitState(request);
  if (!status) return;
  const skip = (why: string) =>
    deps.logger.info(`no commit status: ${why}`, { requestId: request.id, state: request.state });
  if (!request.artifactId) return skip('the request has no artifact');
  if (!version) return skip('its artifact is not found');
  const [owner, repo, ...more] = version.repositoryName.split('/');
  if (!owner || !repo || more.length > 0) return skip(`"${version.repositoryName}" is not owner/repo`);
  const targetUrl = request.gitopsSha ? deps.gitopsCommitUrl?.(request.gitopsSha) : undefined;
  const commitStatus = {
    owner,
    repo,
    sha: version.sha,
    state: status.state,
    context: `ferry/${request.env}`,
    description: truncate(status.description, DESCRIPTION_LIMIT),
    ...(targetUrl ? { targetUrl } : {}),
  };
  if (!(await deps.commitStatus.enabled())) {
    deps.logger.info('GitHub is not configured; would set commit status', {
      requestId: request.id,
      ...commitStatus,
    });
    return;
  }
  await deps.commitStatus.set(commitStatus);
}

function truncate(text: string, limit: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= limit ? oneLine : `${oneLine.slice(0, limit - 1)}…`;
}
