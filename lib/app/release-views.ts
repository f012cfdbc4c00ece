import { authorize, canSee } from '../domain/access.ts';
import type { Version } from '../domain/artifact.ts';
import type { CommitDiff } from '../domain/diff.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { QueryParams } from '../domain/query.ts';
import { type Hold, isTerminal, type ReleaseRequest, type ReleaseState } from '../domain/release.ts';
import {
  MAX_HISTORY,
  parseHistoryQuery,
  parseRecentQuery,
  parseStatusQuery,
} from '../domain/release-input.ts';
import type { CallContext } from './audit.ts';
import type {
  AppRelease,
  ArtifactStore,
  FluxEnvironment,
  FluxStore,
  HistoryEntry,
  ReleaseStore,
} from './ports.ts';

/** Gimlet's Release object (`release.json` plus what the API fills in from git), with Ferry's additions. */
export interface ReleaseView {
  app: string;
  env: string;
  artifactId: string;
  triggeredBy: string;
  version: Version | null;
  gitopsRef: string;
  gitopsRepo: string;
  gitopsCommitStatus: string;
  gitopsCommitStatusDesc: string;
  created: number;
  rolledBack?: boolean;
  requestId: string;
  intent: string;
  targetSha?: string;
  hold?: Hold;
  /** Why the request was made: the matched policy rule, `promotion from <env>`, a requeue (Ferry's addition). */
  cause?: string;
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

/**
 * `GET /api/releases`: the commits that changed an environment (or one app), newest first. Without `app`,
 * only deploys are listed, as GimletD skipped its delete and revert commits in an environment's history
 * (`release list --env`); with `app`, rollbacks and deletes are listed too (Ferry's addition).
 */
export async function listHistory(
  deps: ViewDeps,
  call: CallContext,
  params: QueryParams,
): Promise<ReleaseView[]> {
  authorize(call.principal, 'release:read');
  const input = parseHistoryQuery(params);
  authorize(call.principal, 'release:read', [input.env]);
  const wanted = input.limit === -1 ? Number.POSITIVE_INFINITY : input.offset + input.limit;
  const listed = (entry: HistoryEntry) =>
    (input.app !== undefined || entry.intent === 'deploy') &&
    (!input.gitRepo || entry.record?.version?.repositoryName === input.gitRepo);
  // Filtered entries do not count towards the limit: read more until enough are left or history ends.
  let read = input.gitRepo ? Number.POSITIVE_INFINITY : wanted;
  let marked: { entry: HistoryEntry; rolledBack: boolean }[];
  for (;;) {
    const entries = await deps.releases.history({
      env: input.env,
      ...(input.app ? { app: input.app } : {}),
      ...(input.since ? { since: input.since } : {}),
      ...(input.until ? { until: input.until } : {}),
      limit: read,
    });
    marked = markRolledBack(entries).filter(({ entry }) => listed(entry));
    if (marked.length >= wanted || entries.length < read || read > MAX_HISTORY * 8) break;
    read *= 4;
  }
  const page = marked.slice(input.offset, wanted);
  const requests = await requestsById(
    deps,
    page.map(({ entry }) => entry.requestId),
  );
  return page.map(({ entry, rolledBack }) =>
    historyView(deps, entry, rolledBack, requests.get(entry.requestId)),
  );
}

async function requestsById(deps: ViewDeps, ids: string[]): Promise<Map<string, ReleaseRequest>> {
  const unique = [...new Set(ids.filter(Boolean))];
  if (unique.length === 0) return new Map();
  return new Map((await deps.releases.getMany(unique)).map((r) => [r.id, r]));
}

/** Gimlet's `gitopsCommitStatus` / `gitopsCommitStatusDesc` for the commit a request made (strings, never null). */
function commitFields(request: ReleaseRequest | undefined) {
  const commit = request ? gitopsCommitStatus(request) : { status: '', desc: '' };
  return { gitopsCommitStatus: commit.status, gitopsCommitStatusDesc: commit.desc };
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

function historyView(
  deps: ViewDeps,
  entry: HistoryEntry,
  rolledBack: boolean,
  request: ReleaseRequest | undefined,
): ReleaseView {
  const view: ReleaseView = {
    app: entry.app,
    env: entry.env,
    artifactId: entry.record?.artifactId ?? '',
    triggeredBy: entry.triggeredBy,
    version: entry.record?.version ?? null,
    gitopsRef: entry.gitopsSha,
    gitopsRepo: deps.gitopsRepo,
    ...commitFields(request),
    created: Math.floor(Date.parse(entry.committedAt) / 1000),
    requestId: entry.requestId,
    intent: entry.intent,
  };
  if (rolledBack) view.rolledBack = true;
  if (entry.targetSha) view.targetSha = entry.targetSha;
  if (request?.cause) view.cause = request.cause;
  return view;
}

function currentView(
  deps: ViewDeps,
  env: string,
  app: string,
  release: AppRelease,
  request: ReleaseRequest | undefined,
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
    ...commitFields(request),
    created: Math.floor(Date.parse(release.committedAt) / 1000),
    requestId: release.record.requestId,
    intent: release.record.intent,
  };
  if (hold) view.hold = hold;
  if (request?.cause) view.cause = request.cause;
  return view;
}

/** `GET /api/releases/{id}/diff`: what the request's gitops commit changed. */
export interface ReleaseDiff {
  id: string;
  env: string;
  app: string;
  intent: string;
  gitopsSha: string;
  /** false for a commit made before Ferry kept diffs (or one too large to keep): `changes` and `diff` are empty. */
  kept: boolean;
  changes: CommitDiff['changes'];
  diff: string;
  truncated?: boolean;
}

export async function releaseDiff(deps: ViewDeps, call: CallContext, id: string): Promise<ReleaseDiff> {
  authorize(call.principal, 'release:read');
  const request = await deps.releases.get(id);
  if (!request) throw new NotFoundError(`release request ${id} not found`);
  authorize(call.principal, 'release:read', [request.env]);
  if (!request.gitopsSha) {
    throw new NotFoundError(`release request ${id} made no gitops commit (it is ${request.state})`);
  }
  const entry = await deps.releases.findCommit(request.env, request.app, request.gitopsSha);
  const base = {
    id,
    env: request.env,
    app: request.app,
    intent: request.intent,
    gitopsSha: request.gitopsSha,
  };
  if (!entry?.diff) return { ...base, kept: false, changes: [], diff: '' };
  return {
    ...base,
    kept: true,
    changes: entry.diff.changes,
    diff: entry.diff.diff,
    ...(entry.diff.truncated ? { truncated: true } : {}),
  };
}

/**
 * `GET /api/status`: what each app of an environment runs now, as the writer last pushed it. An app with
 * nothing deployed is absent (or `null` when asked for by name), as in GimletD: the gimlet CLI decodes
 * every entry into a Release, so a hold alone (left by a rollback, then a delete) is never an entry.
 */
export async function currentStatus(
  deps: ViewDeps,
  call: CallContext,
  params: QueryParams,
): Promise<Record<string, ReleaseView | null>> {
  authorize(call.principal, 'release:read');
  const { env, app } = parseStatusQuery(params);
  authorize(call.principal, 'release:read', [env]);
  const apps = (await deps.releases.status(env, app)).filter((status) => status.release);
  const requests = await requestsById(
    deps,
    apps.map((status) => status.release?.record.requestId ?? ''),
  );
  const out: Record<string, ReleaseView | null> = {};
  if (app) out[app] = null;
  for (const { app: name, release, hold } of apps) {
    if (release) {
      out[name] = currentView(deps, env, name, release, requests.get(release.record.requestId), hold);
    }
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

type TrackResult = GimletTrack['results'][number];

/** Gimlet's words for where a request's commit stands (`gitopsCommitStatus` / `...Desc`). */
export function gitopsCommitStatus(request: ReleaseRequest): { status: string; desc: string } {
  if (!request.gitopsSha) return { status: '', desc: '' };
  const status = GITOPS_STATUS[request.state] ?? '';
  return { status, desc: request.state === 'failed' ? (request.reason ?? '') : '' };
}

const pending = (r: ReleaseRequest) =>
  r.state === 'requested' || r.state === 'queued' || r.state === 'waiting';
/**
 * Ended without a commit and it is no success: not `unchanged` (nothing to change) and not `superseded` (a
 * newer request of the app already wrote the folder, so CI's intent was overtaken, not refused).
 */
const madeNoCommit = (r: ReleaseRequest) => r.state === 'unchanged' || r.state === 'superseded';
const endedWithoutCommit = (r: ReleaseRequest) => isTerminal(r.state) && !r.gitopsSha && !madeNoCommit(r);

function result(r: ReleaseRequest): TrackResult {
  const writeFailed = endedWithoutCommit(r);
  const commit = gitopsCommitStatus(r);
  return {
    app: r.app,
    env: r.env,
    hash: r.gitopsSha ?? '',
    status: writeFailed ? 'failure' : 'success',
    statusDesc: writeFailed ? (r.reason ?? r.state) : '',
    gitopsCommitStatus: commit.status,
    gitopsCommitStatusDesc: commit.desc,
  };
}

/**
 * An unchanged or superseded release made no commit: Gimlet's CLI treats "no results" as done, so it is
 * only described.
 */
function processed(requests: ReleaseRequest[], extra: TrackResult[] = [], notes: string[] = []): GimletTrack {
  const noCommit = requests.filter(madeNoCommit).map((r) => r.reason ?? r.state);
  return {
    status: 'processed',
    statusDesc: [...noCommit, ...notes].join('; '),
    results: [...requests.filter((r) => !madeNoCommit(r)).map(result), ...extra],
  };
}

/**
 * `GET /api/eventReleaseTrack`: `new` until the writer has taken the request; `error` when it failed
 * before making a commit (GimletD's top-level failure); else `processed` with the commit's Flux status.
 */
export async function trackRelease(deps: ViewDeps, call: CallContext, id: string): Promise<GimletTrack> {
  authorize(call.principal, 'release:read');
  const request = await deps.releases.get(id);
  if (!request) throw new NotFoundError(`release request ${id} not found`);
  authorize(call.principal, 'release:read', [request.env]);
  if (pending(request)) {
    const why = request.state === 'waiting' && request.reason ? `: ${request.reason}` : '';
    return { status: 'new', statusDesc: `${request.state}${why}`, results: [] };
  }
  if (endedWithoutCommit(request)) {
    return { status: 'error', statusDesc: request.reason ?? request.state, results: [] };
  }
  return processed([request]);
}

/**
 * `GET /api/eventArtifactTrack`, as GimletD answered it: 404 for an unknown artifact; `new` until the
 * policy processor has evaluated the artifact and the writer has taken every release it requested; then
 * `processed` with one result per release (a manifest whose policy matched but could not be rendered is a
 * `failure` result, as in GimletD; one blocked by a restriction or a hold is described in `statusDesc`).
 */
export async function trackArtifact(
  deps: ViewDeps & { artifacts: ArtifactStore },
  call: CallContext,
  artifactId: string,
): Promise<GimletTrack> {
  authorize(call.principal, 'release:read');
  const stored = await deps.artifacts.evaluation(artifactId);
  if (!stored) throw new NotFoundError(`artifact ${artifactId} not found`);
  if (!stored.evaluation) {
    return { status: 'new', statusDesc: 'waiting for the policy processor', results: [] };
  }
  const requests = (await deps.releases.forArtifact(artifactId)).filter((r) => canSee(call.principal, r.env));
  if (requests.some(pending)) {
    return { status: 'new', statusDesc: 'waiting for the writer', results: [] };
  }
  const skipped = stored.evaluation.skipped.filter((s) => canSee(call.principal, s.env));
  const failures = skipped
    .filter((s) => s.outcome === 'invalid')
    .map(
      (s): TrackResult => ({
        app: s.app,
        env: s.env,
        hash: '',
        status: 'failure',
        statusDesc: s.reason,
        gitopsCommitStatus: '',
        gitopsCommitStatusDesc: '',
      }),
    );
  const notes = skipped
    .filter((s) => s.outcome !== 'invalid')
    .map((s) => `${s.env}/${s.app} not released (${s.outcome}): ${s.reason}`);
  return processed(requests, failures, notes);
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

/** `GET /api/environments`: every environment Ferry has committed to, each app with its running release. */
export async function environmentMatrix(
  deps: ViewDeps,
  call: CallContext,
): Promise<{ environments: { env: string; apps: MatrixCell[] }[] }> {
  authorize(call.principal, 'release:read');
  const apps = (await deps.releases.everyApp()).filter((a) => canSee(call.principal, a.env));
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
    const request = status.release ? requests.get(madeBy(status.release)) : undefined;
    const release = status.release
      ? currentView(deps, status.env, status.app, status.release, request)
      : null;
    const cell: MatrixCell = {
      env: status.env,
      app: status.app,
      release,
      preview: release?.version?.event === 'pr',
    };
    if (status.hold) cell.hold = status.hold;
    if (request) cell.state = request.state;
    if (request?.reason) cell.reason = request.reason;
    byEnv.set(status.env, [...(byEnv.get(status.env) ?? []), cell]);
  }
  return { environments: [...byEnv].map(([env, cells]) => ({ env, apps: cells })) };
}

/**
 * `GET /api/requests`: the newest requests across environments, newest first (the activity view), each as
 * `GET /api/releases/{id}` shows it.
 */
export async function recentRequests(
  deps: ViewDeps & { flux: FluxStore },
  call: CallContext,
  params: QueryParams,
): Promise<RequestView[]> {
  authorize(call.principal, 'release:read');
  const { limit } = parseRecentQuery(params);
  const scoped = call.principal.environments !== undefined;
  // A scoped token reads past other environments' requests; bounded by the listing's maximum.
  const requests = (await deps.releases.recent(scoped ? 4 * limit : limit))
    .filter((r) => canSee(call.principal, r.env))
    .slice(0, limit);
  const envs = [...new Set(requests.map((r) => r.env))];
  const flux = new Map(
    await Promise.all(envs.map(async (env) => [env, await deps.flux.environment(env)] as const)),
  );
  return requests.map((r) => requestView(deps, r, flux.get(r.env)));
}
