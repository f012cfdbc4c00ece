import { authorize, type Principal } from '../domain/access.ts';
import type { Version } from '../domain/artifact.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { QueryParams } from '../domain/query.ts';
import { type Hold, isTerminal, type ReleaseRequest, type ReleaseState } from '../domain/release.ts';
import { parseHistoryQuery, parseRecentQuery, parseStatusQuery } from '../domain/release-input.ts';
import type { CallContext } from './audit.ts';
import type { AppRelease, FluxEnvironment, HistoryEntry, ReleaseStore } from './ports.ts';

/** Gimlet's Release object (`release.json` plus what the API fills in from git), with Ferry's additions. */
export interface ReleaseView {
  app: string;
  env: string;
  artifactId: string;
  triggeredBy: string;
  version: Version | null;
  gitopsRef: string;
  gitopsRepo: string;
  created: number;
  rolledBack?: boolean;
  requestId: string;
  intent: string;
  targetSha?: string;
  hold?: Hold;
}

export interface ViewDeps {
  releases: ReleaseStore;
  gitopsRepo: string;
}

/** The request plus whether anything more will happen to it, for `ferry track --wait`. */
export interface RequestView extends ReleaseRequest {
  gitopsRepo: string;
  done: boolean;
  outcome?: 'success' | 'failure';
}

export function requestView(
  deps: ViewDeps,
  request: ReleaseRequest,
  flux: FluxEnvironment | undefined,
): RequestView {
  // Until Flux has reported for the environment once, a commit is as far as Ferry can follow a release;
  // after that, a commit is followed to Flux's verdict.
  const done = isTerminal(request.state) || (!flux && request.state === 'committed');
  const view: RequestView = { ...request, gitopsRepo: deps.gitopsRepo, done };
  if (done) view.outcome = request.state === 'failed' ? 'failure' : 'success';
  return view;
}

/** `GET /api/releases`: the commits that changed an environment (or one app), newest first. */
export async function listHistory(
  deps: ViewDeps,
  call: CallContext,
  params: QueryParams,
): Promise<ReleaseView[]> {
  authorize(call.principal, 'release:read');
  const input = parseHistoryQuery(params);
  const wanted = input.limit === -1 ? Number.POSITIVE_INFINITY : input.offset + input.limit;
  const entries = await deps.releases.history({
    env: input.env,
    ...(input.app ? { app: input.app } : {}),
    ...(input.since ? { since: input.since } : {}),
    ...(input.until ? { until: input.until } : {}),
    // The repository filter applies after reading, so read everything in range when it is set.
    limit: input.gitRepo ? Number.POSITIVE_INFINITY : wanted,
  });
  const views = markRolledBack(entries)
    .filter(({ entry }) => !input.gitRepo || entry.record?.version?.repositoryName === input.gitRepo)
    .map(({ entry, rolledBack }) => historyView(deps, entry, rolledBack));
  return views.slice(input.offset, wanted);
}

/**
 * A rollback to commit X marks every release of that app between X and the rollback as rolled back.
 * Entries are newest first, so the rollback is met before the releases it undid.
 */
function markRolledBack(entries: HistoryEntry[]): { entry: HistoryEntry; rolledBack: boolean }[] {
  const undoneUntil = new Map<string, string>();
  return entries.map((entry) => {
    const key = `${entry.env}/${entry.app}`;
    const target = undoneUntil.get(key);
    let rolledBack = false;
    if (target !== undefined) {
      if (entry.gitopsSha === target) undoneUntil.delete(key);
      else rolledBack = true;
    }
    if (entry.intent === 'rollback' && entry.targetSha && !undoneUntil.has(key)) {
      undoneUntil.set(key, entry.targetSha);
    }
    return { entry, rolledBack };
  });
}

function historyView(deps: ViewDeps, entry: HistoryEntry, rolledBack: boolean): ReleaseView {
  const view: ReleaseView = {
    app: entry.app,
    env: entry.env,
    artifactId: entry.record?.artifactId ?? '',
    triggeredBy: entry.triggeredBy,
    version: entry.record?.version ?? null,
    gitopsRef: entry.gitopsSha,
    gitopsRepo: deps.gitopsRepo,
    created: Math.floor(Date.parse(entry.committedAt) / 1000),
    requestId: entry.requestId,
    intent: entry.intent,
  };
  if (rolledBack) view.rolledBack = true;
  if (entry.targetSha) view.targetSha = entry.targetSha;
  return view;
}

function currentView(
  deps: ViewDeps,
  env: string,
  app: string,
  release: AppRelease,
  hold?: Hold,
): ReleaseView {
  const view: ReleaseView = {
    app,
    env,
    artifactId: release.record.artifactId,
    triggeredBy: release.record.triggeredBy,
    version: release.record.version,
    gitopsRef: release.gitopsSha,
    gitopsRepo: deps.gitopsRepo,
    created: Math.floor(Date.parse(release.committedAt) / 1000),
    requestId: release.record.requestId,
    intent: release.record.intent,
  };
  if (hold) view.hold = hold;
  return view;
}

/** `GET /api/status`: what each app of an environment runs now, as the writer last pushed it. */
export async function currentStatus(
  deps: ViewDeps,
  call: CallContext,
  params: QueryParams,
): Promise<Record<string, ReleaseView | { hold: Hold } | null>> {
  authorize(call.principal, 'release:read');
  const { env, app } = parseStatusQuery(params);
  const apps = await deps.releases.status(env, app);
  const out: Record<string, ReleaseView | { hold: Hold } | null> = {};
  if (app) out[app] = null;
  for (const status of apps) {
    if (status.release) out[status.app] = currentView(deps, env, status.app, status.release, status.hold);
    else if (status.hold) out[status.app] = { hold: status.hold };
  }
  return out;
}

/** Gimlet's `dx.ReleaseStatus`: the gimlet CLI's `track` loop reads exactly these words. */
export interface GimletTrack {
  status: 'new' | 'processed' | 'error';
  statusDesc: string;
  results: {
    app: string;
    env: string;
    hash: string;
    status: 'success' | 'failure';
    statusDesc: string;
    gitopsCommitStatus: string;
    gitopsCommitStatusDesc: string;
  }[];
}

const GITOPS_STATUS: Partial<Record<ReleaseState, string>> = {
  committed: 'NotReconciled',
  reconciling: 'Progressing',
  succeeded: 'ReconciliationSucceeded',
  failed: 'ReconciliationFailed',
};

function track(requests: ReleaseRequest[]): GimletTrack {
  if (requests.some((r) => r.state === 'requested' || r.state === 'queued')) {
    return { status: 'new', statusDesc: '', results: [] };
  }
  const [only] = requests;
  if (requests.length === 1 && only?.state === 'failed' && !only.gitopsSha) {
    return { status: 'error', statusDesc: only.reason ?? 'failed', results: [] };
  }
  const results = requests
    // An unchanged release made no commit: Gimlet's CLI treats "no results" as done.
    .filter((r) => r.state !== 'unchanged')
    .map((r) => {
      const writeFailed = r.state === 'failed' && !r.gitopsSha;
      return {
        app: r.app,
        env: r.env,
        hash: r.gitopsSha ?? '',
        status: writeFailed ? ('failure' as const) : ('success' as const),
        statusDesc: writeFailed ? (r.reason ?? '') : '',
        gitopsCommitStatus: writeFailed ? '' : (GITOPS_STATUS[r.state] ?? ''),
        gitopsCommitStatusDesc: !writeFailed && r.state === 'failed' ? (r.reason ?? '') : '',
      };
    });
  const unchanged = requests.filter((r) => r.state === 'unchanged').map((r) => r.reason ?? 'unchanged');
  return { status: 'processed', statusDesc: unchanged.join('; '), results };
}

export async function trackRelease(deps: ViewDeps, call: CallContext, id: string): Promise<GimletTrack> {
  authorize(call.principal, 'release:read');
  const request = await deps.releases.get(id);
  if (!request) throw new NotFoundError(`release request ${id} not found`);
  return track([request]);
}

export async function trackArtifact(
  deps: ViewDeps,
  call: CallContext,
  artifactId: string,
): Promise<GimletTrack> {
  authorize(call.principal, 'release:read');
  return track(await deps.releases.forArtifact(artifactId));
}

/** One `<env>/<app>` of the dashboard's matrix: what it runs, the state of the request that put it there. */
export interface MatrixCell {
  env: string;
  app: string;
  release: ReleaseView | null;
  hold?: Hold;
  /** The state of the request that made the running release (`succeeded`, `reconciling`, …). */
  state?: ReleaseState;
  reason?: string;
  /** A pull request's preview (`version.event` is `pr`): the dashboard groups these under their env. */
  preview: boolean;
}

const inScope = (principal: Principal, env: string) =>
  !principal.environments || principal.environments.includes(env);

/** `GET /api/environments`: every environment Ferry has committed to, each app with its running release. */
export async function environmentMatrix(
  deps: ViewDeps,
  call: CallContext,
): Promise<{ environments: { env: string; apps: MatrixCell[] }[] }> {
  authorize(call.principal, 'release:read');
  const apps = (await deps.releases.everyApp()).filter((a) => inScope(call.principal, a.env));
  // The request that made the current commit: for a rollback its own, not the restored release's.
  const madeBy = (release: AppRelease) => release.requestId ?? release.record.requestId;
  const requests = new Map(
    (await deps.releases.getMany(apps.flatMap((a) => (a.release ? [madeBy(a.release)] : [])))).map((r) => [
      r.id,
      r,
    ]),
  );
  const byEnv = new Map<string, MatrixCell[]>();
  for (const status of apps) {
    const release = status.release ? currentView(deps, status.env, status.app, status.release) : null;
    const cell: MatrixCell = {
      env: status.env,
      app: status.app,
      release,
      preview: release?.version?.event === 'pr',
    };
    if (status.hold) cell.hold = status.hold;
    const request = status.release ? requests.get(madeBy(status.release)) : undefined;
    if (request) cell.state = request.state;
    if (request?.reason) cell.reason = request.reason;
    byEnv.set(status.env, [...(byEnv.get(status.env) ?? []), cell]);
  }
  return { environments: [...byEnv].map(([env, cells]) => ({ env, apps: cells })) };
}

/** `GET /api/requests`: the newest requests across environments, newest first (the activity view). */
export async function recentRequests(
  deps: ViewDeps,
  call: CallContext,
  params: QueryParams,
): Promise<ReleaseRequest[]> {
  authorize(call.principal, 'release:read');
  const { limit } = parseRecentQuery(params);
  const scoped = call.principal.environments !== undefined;
  // A scoped token reads past other environments' requests; bounded by the listing's maximum.
  const requests = await deps.releases.recent(scoped ? 4 * limit : limit);
  return requests.filter((r) => inScope(call.principal, r.env)).slice(0, limit);
}
