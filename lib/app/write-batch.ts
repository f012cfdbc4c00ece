import { setTimeout as sleep } from 'node:timers/promises';
import type { Artifact } from '../domain/artifact.ts';
import { boundDiff, type CommitDiff, diffFolders, unifiedDiff } from '../domain/diff.ts';
import { FerryError, failureReason, isRetryable, ReleaseFailedError } from '../domain/errors.ts';
import { repoPath } from '../domain/flux-layout.ts';
import { scaffoldFiles } from '../domain/flux-scaffold-files.ts';
import { appPath, commitMessage, requestIdOf } from '../domain/gitops.ts';
import {
  advance,
  type ReleaseRecord,
  type ReleaseRequest,
  releaseFile,
  type StateChange,
  supersededBy,
  writerDone,
} from '../domain/release.ts';
import { renderTarget } from '../domain/render-target.ts';
import { withCorrelationId } from '../log/invocation.ts';
import type { Logger } from '../log/logger.ts';
import { editsInPlace, withFluxEdits } from './app-kustomizations.ts';
import type { ReleaseGate } from './gate.ts';
import { inFolder } from './gitops-folder.ts';
import {
  type ArtifactStore,
  type Clock,
  type FolderChange,
  type GitopsRepo,
  type GitopsRouting,
  type HistoryEntry,
  type PushOutcome,
  type ReleaseStore,
  singleRepo,
  type WriteOutcome,
} from './ports.ts';
import { measureMoved, measurePushRace } from './release-metrics.ts';

export interface WriterDeps {
  releases: ReleaseStore;
  artifacts: ArtifactStore;
  /** The repository when there is one for every environment. */
  repo: GitopsRepo;
  /** Several repositories (FERRY_GITOPS_REPOS): each batch's requests are written per repository. */
  routing?: GitopsRouting;
  clock: Clock;
  logger: Logger;
  /** Attempts at fetch → re-apply → push when someone else keeps pushing first. */
  pushTries?: number;
  /** The release gate (freezes, halts, approvals); without one every request proceeds. */
  gate?: ReleaseGate;
}

export interface QueuedWrite {
  messageId: string;
  requestId: string;
  /** The FIFO message group; without one, the request's `<env>/<app>` stands in for it. */
  groupId?: string;
}

/**
 * Commits older than the request by more than this cannot be its own. The request's time comes from the
 * API function's clock and the commit's from the writer's, both Lambda hosts synchronised by the Amazon
 * Time Sync Service (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/set-time.html: within
 * milliseconds); a minute is ample. A wider margin only makes a cold writer deepen its shallow clone
 * further for the exactly-once check (at 50 releases a minute, 50 commits per minute of margin).
 */
const SKEW_MS = 60_000;

type Plan =
  | { request: ReleaseRequest; change: FolderChange; record?: ReleaseRecord; detail?: string }
  | { request: ReleaseRequest; failure: string };

interface Outcome {
  request: ReleaseRequest;
  change: StateChange;
  commit?: HistoryEntry;
}

/**
 * The writer's use case: a batch of queued requests becomes one commit per request and one push.
 * When the push loses a race with another writer it fetches and re-applies the requests on the new head
 * (the folder contents are rebuilt, never rebased as text). Returns the messages to redeliver.
 */
export async function writeBatch(deps: WriterDeps, writes: readonly QueuedWrite[]): Promise<string[]> {
  const requests = new Map(
    (await deps.releases.getMany(writes.map((w) => w.requestId))).map((r) => [r.id, r]),
  );
  const groups = new Map(
    writes.map((w) => {
      const request = requests.get(w.requestId);
      return [w.messageId, w.groupId ?? (request ? appPath(request.env, request.app) : w.messageId)];
    }),
  );
  const retry = new Set<string>();
  const failedGroups = new Set<string>();
  const fail = (write: QueuedWrite) => {
    retry.add(write.messageId);
    failedGroups.add(groups.get(write.messageId) ?? write.messageId);
  };
  const plans: { write: QueuedWrite; plan: Plan }[] = [];
  const seen = new Set<string>();
  // One artifact often feeds every request of a batch (a monorepo's apps): read it once.
  const artifactsOfBatch = new Map<string, Promise<Artifact | undefined>>();
  const gateSettings = deps.gate ? await deps.gate.settings() : undefined;
  const ahead = new Set<string>();
  for (const write of writes) {
    // FIFO: once a message of a group failed, the later ones of that group wait for it.
    if (failedGroups.has(groups.get(write.messageId) ?? write.messageId)) {
      retry.add(write.messageId);
      continue;
    }
    // The same request twice in one batch (a redelivery next to the original) is applied once.
    if (seen.has(write.requestId)) continue;
    seen.add(write.requestId);
    const request = requests.get(write.requestId);
    if (!request) {
      deps.logger.error('queued request not found; dropping the message', { requestId: write.requestId });
      continue;
    }
    if (writerDone(request.state)) continue; // a redelivery of something already recorded
    await withCorrelationId(request.id, async () => {
      try {
        // The gate is checked right before writing, so a halt also holds what was queued before it.
        if (deps.gate && gateSettings) {
          const verdict = await deps.gate.verdict(request, gateSettings, ahead);
          if (!verdict.pass && 'conditions' in verdict) {
            await deps.gate.park(request, verdict.conditions);
            return;
          }
          if (!verdict.pass) {
            plans.push({ write, plan: { request, failure: verdict.rejected } });
            return;
          }
          if (request.state === 'waiting' && !request.gate?.releasedAt) return; // a stale copy of a parked one
        }
        ahead.add(request.id);
        plans.push({ write, plan: await prepare(deps, request, artifactsOfBatch) });
      } catch (error) {
        deps.logger.error('preparing a release failed for now; will retry', { requestId: request.id, error });
        fail(write);
      }
    });
  }
  if (plans.length === 0) return fifoFailures(writes, groups, retry);

  // One push per repository; repositories are independent, so their parts run side by side (a batch
  // holds one group, i.e. one repository, unless several groups were ready at once).
  const routing = deps.routing ?? singleRepo(deps.repo);
  const parts = new Map<string, typeof plans>();
  for (const p of plans) {
    const key = routing.keyOf(p.plan.request.env);
    parts.set(key, [...(parts.get(key) ?? []), p]);
  }
  await Promise.all(
    [...parts.values()].map((part) =>
      oneAtATime(routing.repoFor(part[0]?.plan.request.env ?? ''), (repo) =>
        writeToRepo({ ...deps, repo }, part, fail),
      ),
    ),
  );
  // Requests that waited behind the ones just written may go now.
  const leftWaiting = plans.filter((p) => p.plan.request.state === 'waiting').map((p) => p.plan.request);
  if (deps.gate && leftWaiting.length > 0) {
    await deps.gate.sweep(leftWaiting).catch((error: unknown) => {
      deps.logger.error('sweeping after a write failed; the scheduled sweep will do it', { error });
    });
  }
  return fifoFailures(writes, groups, retry);
}

/** The write in progress per repository in this process. */
const inProgress = new WeakMap<GitopsRepo, Promise<unknown>>();

/**
 * One batch part at a time per repository in this process. On AWS the FIFO group (the repository) already
 * gives each repository one writer; the local stack groups per app (see groupOf) and relies on this.
 */
async function oneAtATime<T>(repo: GitopsRepo, work: (repo: GitopsRepo) => Promise<T>): Promise<T> {
  const before = inProgress.get(repo) ?? Promise.resolve();
  const run = before.then(
    () => work(repo),
    () => work(repo),
  );
  inProgress.set(
    repo,
    run.catch(() => undefined),
  );
  return run;
}

/** Writes one repository's part of a batch: apply, push (re-applying after lost races), record. */
async function writeToRepo(
  deps: WriterDeps,
  plans: { write: QueuedWrite; plan: Plan }[],
  fail: (write: QueuedWrite) => void,
): Promise<void> {
  const written = await deps.releases.writtenSequences(plans.map((p) => p.plan.request));
  let outcomes: Map<string, Outcome> | undefined;
  const tries = deps.pushTries ?? 8;
  try {
    for (let attempt = 1; attempt <= tries && !outcomes; attempt++) {
      outcomes = await applyAndPush(
        deps,
        plans.map((p) => p.plan),
        new Map(written),
        attempt === 1,
      );
      if (!outcomes) {
        measurePushRace();
        deps.logger.info('push lost a race with another writer; fetching and re-applying', { attempt });
        if (attempt > 1) await sleep(Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  } catch (error) {
    if (isRetryable(error)) {
      // The remote or the table failed for now: SQS redelivers the batch, which starts over from a fetch.
      deps.logger.error('writing the batch failed; it will be redelivered', { error });
      for (const { write } of plans) fail(write);
      return;
    }
    // Retrying cannot help (credentials refused, a repository that is not there, a bug): each request of
    // the batch ends `failed` once, with the reason, instead of going round until the dead-letter queue.
    deps.logger.error('writing the batch failed for good; its requests fail', {
      reason: failureReason(error),
    });
    const at = deps.clock.now().toISOString();
    outcomes = new Map(
      plans.map(({ plan }) => [
        plan.request.id,
        { request: plan.request, change: { state: 'failed', at, reason: failureReason(error) } },
      ]),
    );
  }
  if (!outcomes) {
    deps.logger.error('could not push after retries; the batch will be redelivered', { tries });
    for (const { write } of plans) fail(write);
    return;
  }

  const found = outcomes;
  const logWritten = (after: ReleaseRequest) =>
    withCorrelationId(after.id, () => {
      measureMoved(after);
      deps.logger.info('release written', {
        requestId: after.id,
        state: after.state,
        gitopsSha: after.gitopsSha,
        reason: after.reason,
      });
    });
  // Usually the whole batch goes into the table in one transaction. The dispatcher may mark a request
  // `queued` while the writer works (a newer starting point, not a conflict): read them again once.
  const together = async (fresh: boolean): Promise<WriteOutcome[]> => {
    const current = fresh
      ? new Map((await deps.releases.getMany([...found.keys()])).map((r) => [r.id, r]))
      : undefined;
    return plans.flatMap(({ plan }) => {
      const outcome = found.get(plan.request.id);
      const before = outcome && (current ? current.get(outcome.request.id) : outcome.request);
      const after = outcome && before && advance(before, outcome.change);
      return outcome && before && after
        ? [{ before, after, ...(outcome.commit ? { commit: outcome.commit } : {}) }]
        : [];
    });
  };
  let recorded: WriteOutcome[] | undefined;
  for (const fresh of [false, true]) {
    const batch = await together(fresh).catch(() => []);
    const ok =
      batch.length > 0 &&
      (await deps.releases.recordOutcomes(batch).catch((error) => {
        deps.logger.info('recording the batch at once failed; recording one by one', { error });
        return false;
      }));
    if (ok) recorded = batch;
    if (ok || batch.length === 0) break;
  }
  if (recorded) {
    for (const { after } of recorded) logWritten(after);
    return;
  }
  // Otherwise (a request moved meanwhile, or too much for one transaction) the outcomes are independent
  // items: record them side by side.
  await Promise.all(
    plans.map(({ write, plan }) =>
      withCorrelationId(plan.request.id, async () => {
        const outcome = found.get(plan.request.id);
        if (!outcome) return;
        try {
          const after = await record(deps.releases, outcome);
          if (after) logWritten(after);
        } catch (error) {
          // Redelivery finds the commit by its trailer and records it then.
          deps.logger.error('recording a release failed; will retry', { requestId: plan.request.id, error });
          fail(write);
        }
      }),
    ),
  );
}

/**
 * The partial batch response of a FIFO queue: after the first failure in a message group, that message
 * and every later one of the same group are reported, so SQS redelivers them in their order. AWS: "If
 * you're using this feature with a FIFO queue, your function should stop processing messages after the
 * first failure and return all failed and unprocessed messages in batchItemFailures"
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html); per group, as
 * Powertools' SqsFifoPartialProcessor does with `skipGroupOnError`.
 */
function fifoFailures(
  writes: readonly QueuedWrite[],
  groups: ReadonlyMap<string, string>,
  failed: ReadonlySet<string>,
): string[] {
  const stopped = new Set<string>();
  const out: string[] = [];
  for (const write of writes) {
    const group = groups.get(write.messageId) ?? write.messageId;
    if (failed.has(write.messageId)) stopped.add(group);
    if (stopped.has(group)) out.push(write.messageId);
  }
  return out;
}

/**
 * Stores the outcome on the request as it is now: the dispatcher may have moved it to `queued` while the
 * writer worked, which is not a conflict, only a newer starting point.
 */
async function record(releases: ReleaseStore, outcome: Outcome): Promise<ReleaseRequest | undefined> {
  let before: ReleaseRequest | undefined = outcome.request;
  for (let attempt = 0; attempt < 5 && before; attempt++) {
    const after = advance(before, outcome.change);
    if (!after) return undefined;
    if (
      await releases.recordOutcome({ before, after, ...(outcome.commit ? { commit: outcome.commit } : {}) })
    ) {
      return after;
    }
    before = await releases.get(before.id);
  }
  if (before) throw new Error(`request ${before.id} kept changing while its outcome was recorded`);
  return undefined;
}

/** Everything about a request that does not depend on the repository's head. */
async function prepare(
  deps: WriterDeps,
  request: ReleaseRequest,
  artifacts: Map<string, Promise<Artifact | undefined>>,
): Promise<Plan> {
  const dir = appPath(request.env, request.app);
  try {
    switch (request.intent) {
      case 'delete':
        return { request, change: { kind: 'remove', dir } };
      case 'init': {
        if (!request.scaffold) throw new ReleaseFailedError('init request without its Flux settings');
        return {
          request,
          change: {
            kind: 'merge',
            dir,
            files: scaffoldFiles(request.env, request.scaffold, folderOf(deps, request.env)),
          },
        };
      }
      case 'rollback': {
        if (!request.targetSha) throw new ReleaseFailedError('rollback request without a target commit');
        return { request, change: { kind: 'restore', dir, from: request.targetSha } };
      }
      case 'deploy': {
        const id = request.artifactId;
        if (id && !artifacts.has(id)) artifacts.set(id, deps.artifacts.get(id));
        const artifact = id ? await artifacts.get(id) : undefined;
        if (!artifact) throw new ReleaseFailedError(`artifact ${request.artifactId ?? '(none)'} not found`);
        return deployPlan(request, artifact, dir);
      }
    }
  } catch (error) {
    // Decided by the one rule workers share: retryable errors go back to the queue, the rest fail once.
    if (isRetryable(error)) throw error;
    return { request, failure: error instanceof FerryError ? error.message : failureReason(error) };
  }
}

function deployPlan(request: ReleaseRequest, artifact: Artifact, dir: string): Plan {
  const files = renderTarget(artifact, request.env, request.app);
  const record: ReleaseRecord = {
    app: request.app,
    env: request.env,
    artifactId: artifact.id,
    triggeredBy: request.triggeredBy,
    version: artifact.version,
    requestId: request.id,
    intent: 'deploy',
  };
  if (request.sequence !== undefined) record.sequence = request.sequence;
  const v = artifact.version;
  return {
    request,
    change: {
      kind: 'replace',
      dir,
      files: [...files, { name: 'release.json', content: releaseFile(record) }],
    },
    record,
    detail: `${v.sha.slice(0, 8)} (${v.repositoryName}${v.tag ? ` ${v.tag}` : v.branch ? ` ${v.branch}` : ''})`,
  };
}

/** Applies every plan on the remote's current head and pushes once; undefined when the push lost a race. */
async function applyAndPush(
  deps: WriterDeps,
  plans: Plan[],
  written: Map<string, number>,
  reuse: boolean,
): Promise<Map<string, Outcome> | undefined> {
  const { repo, clock } = deps;
  const started = performance.now();
  // The first attempt may build on this writer's own last push without a fetch (a lost race fetches).
  const head = await repo.sync({ reuse });
  const synced = performance.now();
  const oldest = Math.min(...plans.map((p) => sentSince(p.request)));
  const landed = new Map<string, string>();
  for (const commit of await repo.recentCommits(head, new Date(oldest - SKEW_MS))) {
    const id = requestIdOf(commit.message);
    if (id && !landed.has(id)) landed.set(id, commit.sha);
  }

  const outcomes = new Map<string, Outcome>();
  const diffs: (() => Promise<void>)[] = [];
  let parent = head;
  for (const plan of plans) {
    const { request } = plan;
    const at = clock.now();
    const state = (s: StateChange['state'], extra: Partial<StateChange> = {}): StateChange => ({
      state: s,
      at: at.toISOString(),
      ...extra,
    });
    // The environment's view: its `<env>/<app>` may live in a folder of the repository.
    const folder = folderOf(deps, request.env);
    const view = inFolder(repo, folder);
    const already = landed.get(request.id);
    if (already) {
      // Pushed by an earlier attempt that crashed before acknowledging: record it, never commit twice.
      const record = 'change' in plan ? await recordAfter(view, plan, already) : undefined;
      const files = 'change' in plan ? await filesAfter(view, plan.change, already) : undefined;
      outcomes.set(request.id, {
        request,
        change: state('committed', { gitopsSha: already }),
        commit: historyEntry(request, already, at, record, files),
      });
      continue;
    }
    const dir = appPath(request.env, request.app);
    const stale = supersededBy(request, await appliedSequence(view, parent, dir, written));
    if (stale) {
      outcomes.set(request.id, { request, change: state('superseded', { reason: stale }) });
      continue;
    }
    if ('failure' in plan) {
      outcomes.set(request.id, { request, change: state('failed', { reason: plan.failure }) });
      continue;
    }
    // Before anything reads the target: changedDir deepens a shallow clone to an old rollback target.
    const wanted = plan.change;
    if (wanted.kind === 'restore' && !(await view.changedDir(wanted.from, wanted.dir))) {
      outcomes.set(request.id, {
        request,
        change: state('failed', { reason: `commit ${wanted.from} never changed ${wanted.dir}` }),
      });
      continue;
    }
    const change = await withFluxEdits(view, folder, parent, request, wanted);
    const sha =
      change.kind === 'replace' && (await alreadyDeployed(view, parent, change, plan.record))
        ? undefined
        : await view.commit(parent, change, commitMessage(request, plan.detail), at);
    // Later requests of this batch compare with this one (the table learns it once the batch is recorded).
    if (request.sequence !== undefined) written.set(dir, request.sequence);
    if (!sha) {
      outcomes.set(request.id, { request, change: state('unchanged', { reason: unchangedReason(change) }) });
      continue;
    }
    const before = parent;
    parent = sha;
    const record = await recordAfter(view, plan, sha);
    const commit = historyEntry(request, sha, at, record, await filesAfter(view, change, sha));
    // The diff is for people reading history: worked out after the push, outside the race window.
    diffs.push(async () => {
      commit.diff = await commitDiff(view, folder, before, sha, change);
    });
    outcomes.set(request.id, { request, change: state('committed', { gitopsSha: sha }), commit });
  }
  const applied = performance.now();
  const push: PushOutcome = !parent || parent === head ? { pushed: true } : await repo.push(head, parent);
  deps.logger.info('batch attempt', {
    requests: plans.length,
    ...push,
    fetchMs: Math.round(synced - started),
    applyMs: Math.round(applied - synced),
    pushMs: Math.round(performance.now() - applied),
  });
  if (!push.pushed) return undefined;
  for (const diff of diffs) await diff();
  return outcomes;
}

/** The folder of its repository an environment lives in ('' for the root, and with one repository). */
function folderOf(deps: WriterDeps, env: string): string {
  return deps.routing?.folderOf(env) ?? '';
}

/**
 * The earliest a writer could have pushed the request: when it was queued (a request may wait long before
 * that, e.g. behind a hold), or when it was made if the queued state is not stored yet (the dispatcher
 * records it after sending). The exactly-once check reads history back to here, less SKEW_MS.
 */
function sentSince(request: ReleaseRequest): number {
  const queued = request.states.find((s) => s.state === 'queued');
  return Math.max(Date.parse(request.createdAt), queued ? Date.parse(queued.at) : 0);
}

/**
 * The newest sequence that wrote `dir`: from release.json at `head` (a deploy's own record, read from the
 * very tree the next commit builds on) or from the table's note of the last outcome (deletes leave no
 * file, a rollback brings back an older one), whichever is higher.
 */
async function appliedSequence(
  repo: GitopsRepo,
  head: string | undefined,
  dir: string,
  written: ReadonlyMap<string, number>,
): Promise<number | undefined> {
  const text = head ? await repo.readFile(head, `${dir}/release.json`) : undefined;
  const inGit = text ? (JSON.parse(text) as Partial<ReleaseRecord>).sequence : undefined;
  const inTable = written.get(dir);
  if (typeof inGit !== 'number') return inTable;
  return inTable === undefined ? inGit : Math.max(inGit, inTable);
}

/**
 * release.json names the request and who asked, so it differs on every deploy; the release is the same
 * when the artifact and every other file are.
 */
async function alreadyDeployed(
  repo: GitopsRepo,
  head: string | undefined,
  change: Extract<FolderChange, { kind: 'replace' }>,
  record: ReleaseRecord | undefined,
): Promise<boolean> {
  if (!head || !record) return false;
  const deployed = await repo.readFile(head, `${change.dir}/release.json`);
  if (!deployed || (JSON.parse(deployed) as Partial<ReleaseRecord>).artifactId !== record.artifactId)
    return false;
  const files = change.files.filter((f) => f.name !== 'release.json');
  return (
    (await repo.holdsFiles(head, change.dir, files, ['release.json'])) &&
    (await editsInPlace(repo, head, change))
  );
}

async function recordAfter(
  repo: GitopsRepo,
  plan: Extract<Plan, { change: FolderChange }>,
  sha: string,
): Promise<ReleaseRecord | undefined> {
  if (plan.change.kind !== 'restore') return plan.record;
  const text = await repo.readFile(sha, `${plan.change.dir}/release.json`);
  return text ? (JSON.parse(text) as ReleaseRecord) : undefined;
}

/** What `<env>/<app>` holds after the commit, kept with the app's status for dry-run diffs. */
async function filesAfter(
  repo: GitopsRepo,
  change: FolderChange,
  sha: string,
): Promise<Record<string, string> | undefined> {
  if (change.kind === 'replace' || change.kind === 'merge')
    return Object.fromEntries(change.files.map((f) => [f.name, f.content]));
  if (change.kind === 'remove') return undefined;
  const folder = await repo.readFolder(sha, change.dir);
  return folder ? Object.fromEntries(folder) : undefined;
}

/**
 * What the commit changed in the app's folder and the files beside it it edited, as `git diff` shows it:
 * with the paths of the repository (under the environment's `folder`).
 */
async function commitDiff(
  repo: GitopsRepo,
  folder: string,
  before: string | undefined,
  after: string,
  change: FolderChange,
): Promise<CommitDiff> {
  const filesOf = async (sha: string | undefined) =>
    (sha ? await repo.readFolder(sha, change.dir) : undefined) ?? new Map<string, string>();
  // A replace wrote exactly its files: only the parent's side is read from git.
  const written =
    change.kind === 'replace' ? new Map(change.files.map((f) => [f.name, f.content])) : await filesOf(after);
  const { changes, diff } = diffFolders(repoPath(folder, change.dir), await filesOf(before), written);
  let text = diff;
  for (const edit of change.edits ?? []) {
    const a = before ? await repo.readFile(before, edit.path) : undefined;
    const b = edit.content;
    if (a === b) continue;
    const path = repoPath(folder, edit.path);
    changes.push({ path, change: a === undefined ? 'added' : b === undefined ? 'removed' : 'modified' });
    text += unifiedDiff(path, a, b);
  }
  return boundDiff({ changes, diff: text });
}

function historyEntry(
  request: ReleaseRequest,
  sha: string,
  at: Date,
  record: ReleaseRecord | undefined,
  files?: Record<string, string>,
): HistoryEntry {
  const entry: HistoryEntry = {
    env: request.env,
    app: request.app,
    intent: request.intent,
    requestId: request.id,
    triggeredBy: request.triggeredBy,
    gitopsSha: sha,
    committedAt: at.toISOString(),
  };
  if (record) entry.record = record;
  if (files) entry.files = files;
  if (request.targetSha) entry.targetSha = request.targetSha;
  return entry;
}

function unchangedReason(change: FolderChange): string {
  switch (change.kind) {
    case 'replace':
      return `${change.dir} already holds this release; nothing to commit`;
    case 'remove':
      return `${change.dir} does not exist; nothing to delete`;
    case 'restore':
      return `${change.dir} already has the content of ${change.from}; nothing to commit`;
    case 'merge':
      return `${change.dir} already holds these settings; nothing to commit`;
  }
}
