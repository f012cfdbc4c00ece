import { failureReason, isRetryable, NotFoundError } from '../domain/errors.ts';
import { eventApp, isHelmReleaseEvent, revisionCommit, verdictOf } from '../domain/flux.ts';
import { appFluxPath, parseSettings, settingsPath } from '../domain/flux-layout.ts';
import { requestIdOf } from '../domain/gitops.ts';
import { withCorrelationId } from '../log/invocation.ts';
import type { Logger } from '../log/logger.ts';
import { inFolder } from './gitops-folder.ts';
import type {
  Clock,
  GitopsRepo,
  GitopsRouting,
  OpenRelease,
  ReleaseStore,
  StoredFluxEvent,
} from './ports.ts';
import { measureMoved } from './release-metrics.ts';

export interface FluxStatusDeps {
  releases: ReleaseStore;
  /** A read-only copy of the gitops branch: which Ferry commits a reported revision contains. */
  repo: GitopsRepo;
  /** Several repositories (FERRY_GITOPS_REPOS): each event is read against its environment's. */
  routing?: GitopsRouting;
  clock: Clock;
  logger: Logger;
}

/** Commits older than the oldest open release by more than this cannot contain it (clock skew). */
const SKEW_MS = 10 * 60_000;

/**
 * Moves releases forward from stored Flux events, in the order they arrived. Flux reports only the
 * revision it applied (the branch tip it fetched), which contains every earlier commit: a verdict for
 * commit X settles each open Ferry commit of that environment that X contains. Which ones those are is
 * read from the repository (X may be anybody's commit), by the request-id trailers of X's ancestors.
 * States only move forward, so a late `Progressing` never undoes a verdict and a duplicate changes nothing.
 * Returns the ids of the events that could not be applied (to retry).
 */
export async function applyFluxEvents(
  deps: FluxStatusDeps,
  events: readonly StoredFluxEvent[],
): Promise<string[]> {
  const failed: string[] = [];
  // Each repository is fetched once per batch, and each revision's ancestry read once.
  const synced = new Map<GitopsRepo, Promise<string | undefined>>();
  const contained = new Map<string, Promise<Set<string> | undefined>>();
  const ancestry = (repo: GitopsRepo) => (sha: string, since: Date) => {
    const key = `${repo.url}@${sha}@${since.getTime()}`;
    let found = contained.get(key);
    if (!found) {
      let fetched = synced.get(repo);
      if (!fetched) {
        fetched = repo.sync();
        synced.set(repo, fetched);
      }
      found = fetched.then(() => requestsIn(repo, sha, since));
      contained.set(key, found);
    }
    return found;
  };
  for (const stored of events) {
    try {
      const repo = deps.routing?.repoFor(stored.env) ?? deps.repo;
      // Ancestry is the repository's; the environment's files are read in its folder.
      const view = inFolder(repo, deps.routing?.folderOf(stored.env) ?? '');
      await applyOne({ ...deps, repo: view }, stored, ancestry(repo));
    } catch (error) {
      if (!isRetryable(error)) {
        // The same event fails the same way every time: retrying it would only hold back the ones after.
        deps.logger.error('a flux event cannot be applied; skipped', {
          eventId: stored.id,
          env: stored.env,
          reason: failureReason(error),
        });
        continue;
      }
      deps.logger.error('applying a flux event failed; will retry', { eventId: stored.id, error });
      failed.push(stored.id);
      // Later events of the same batch may depend on this one's verdict: retry them too, in order.
      failed.push(...events.slice(events.indexOf(stored) + 1).map((e) => e.id));
      break;
    }
  }
  return failed;
}

/** Request ids in the trailers of `sha` and its ancestors since `since`; undefined for an unknown sha. */
async function requestsIn(repo: GitopsRepo, sha: string, since: Date): Promise<Set<string> | undefined> {
  try {
    const commits = await repo.recentCommits(sha, since);
    return new Set(commits.flatMap((c) => requestIdOf(c.message) ?? []));
  } catch (error) {
    // Unknown here, or an object that is not a commit (a tree or blob sha): not a revision of the branch.
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

async function applyOne(
  deps: FluxStatusDeps,
  stored: StoredFluxEvent,
  ancestry: (sha: string, since: Date) => Promise<Set<string> | undefined>,
): Promise<void> {
  const moved = await settleFrom(deps, stored, ancestry);
  deps.logger.info('flux event applied', { eventId: stored.id, env: stored.env, moved });
}

async function settleFrom(
  deps: FluxStatusDeps,
  stored: StoredFluxEvent,
  ancestry: (sha: string, since: Date) => Promise<Set<string> | undefined>,
): Promise<number> {
  const { event, env } = stored;
  const verdict = verdictOf(event);
  if (!verdict) return 0;
  const open = await deps.releases.openRequests(env);
  if (open.length === 0) return 0;

  let targets: OpenRelease[];
  const app = eventApp(env, event, new Set(open.map((o) => o.app)));
  if (isHelmReleaseEvent(event)) {
    targets = await helmTargets(deps, open, app ?? event.involvedObject.name);
  } else {
    const sha = revisionCommit(event.metadata);
    if (!sha) {
      deps.logger.info('flux event without a git commit revision; nothing to settle', {
        env,
        eventId: stored.id,
      });
      return 0;
    }
    const oldest = Math.min(...open.map((o) => Date.parse(o.committedAt)));
    const ids = await ancestry(sha, new Date(oldest - SKEW_MS));
    if (!ids) {
      deps.logger.info('flux reported a revision that is not on the gitops branch', { env, revision: sha });
      return 0;
    }
    const contained = open.filter((o) => ids.has(o.requestId));
    if (app) targets = contained.filter((o) => o.app === app);
    else if (await isEntry(deps.repo, sha, env, event.involvedObject.name)) {
      targets = await notPerApp(deps.repo, sha, env, contained);
    } else targets = contained; // a Kustomization applying the whole environment (no per-app shape)
  }
  const at = deps.clock.now().toISOString();
  let moved = 0;
  for (const target of targets) {
    const after = await withCorrelationId(target.requestId, async () => {
      const settled = await deps.releases.settle(target, {
        state: verdict.state,
        at,
        reason: verdict.reason,
      });
      if (!settled) return undefined;
      measureMoved(settled);
      deps.logger.info('release moved by flux', {
        requestId: settled.id,
        env,
        app: settled.app,
        state: settled.state,
        reason: settled.reason,
      });
      return settled;
    });
    if (after) moved += 1;
  }
  return moved;
}

/**
 * HelmRelease events carry a chart version, not a commit. Ferry names the HelmRelease after the app, so
 * the event concerns that app's open releases that Flux has already started applying; when none has,
 * and only one is open, that one.
 */
async function helmTargets(deps: FluxStatusDeps, open: OpenRelease[], app: string): Promise<OpenRelease[]> {
  const mine = open.filter((o) => o.app === app);
  if (mine.length === 0) return [];
  const requests = await deps.releases.getMany(mine.map((o) => o.requestId));
  const reconciling = new Set(requests.filter((r) => r.state === 'reconciling').map((r) => r.id));
  const applied = mine.filter((o) => reconciling.has(o.requestId));
  if (applied.length > 0) return applied;
  return mine.length === 1 ? mine : [];
}

/** Whether `name` is the entry Kustomization `env init` recorded for `<env>/flux` at that revision. */
async function isEntry(repo: GitopsRepo, sha: string, env: string, name: string): Promise<boolean> {
  return parseSettings(await repo.readFile(sha, settingsPath(env))).entry === name;
}

/**
 * What the entry Kustomization (applying `<env>/flux`) settles: the releases whose app has no
 * Kustomization of its own at that revision.
 * An app with `<env>/flux/apps/<app>.yaml` is judged only by its own Kustomization (its health check
 * covers its HelmReleases; the entry's does not). A delete removed that file, so the entry, which prunes
 * the app's Kustomization and with it the app's objects, settles it; so it does `env init`.
 */
async function notPerApp(
  repo: GitopsRepo,
  sha: string,
  env: string,
  contained: OpenRelease[],
): Promise<OpenRelease[]> {
  const own = new Map<string, Promise<boolean>>();
  const kept: OpenRelease[] = [];
  for (const release of contained) {
    let found = own.get(release.app);
    if (!found) {
      found = repo.readFile(sha, appFluxPath(env, release.app)).then((text) => text !== undefined);
      own.set(release.app, found);
    }
    if (!(await found)) kept.push(release);
  }
  return kept;
}
