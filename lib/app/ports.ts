import type { Role } from '../domain/access.ts';
import type { Artifact, ArtifactInput } from '../domain/artifact.ts';
import type { AuditEntry } from '../domain/audit.ts';
import type { CommitDiff } from '../domain/diff.ts';
import type { FluxEvent } from '../domain/flux.ts';
import type { ApprovalRule, Decision, FreezeWindow, GateSettings, Halt, Override } from '../domain/gate.ts';
import type { GithubClaims } from '../domain/oidc-rules.ts';
import type { PolicyRule } from '../domain/policy-rules.ts';
import type { ArtifactQuery } from '../domain/query.ts';
import type { Hold, Intent, ReleaseRecord, ReleaseRequest, StateChange } from '../domain/release.ts';
import type { RenderedFile } from '../domain/render/index.ts';
import type { Target } from '../domain/targets.ts';

/** Narrow interfaces in the domain's terms; adapters under lib/adapters implement them. */

export interface Clock {
  now(): Date;
}

/**
 * What CI shipped, checked and rendered: an artifact's schema, variables and YAML, and a target's files.
 * In process locally and in the stream-policy consumer; on Lambda the API functions ask the `invoke-render`
 * function, which holds no credentials and keeps the YAML parser out of the API bundles
 * (lib/app/manifests.ts, lib/adapters/lambda/remote-manifests.ts). Refusals are the same either way: a
 * ValidationError (400) naming the field, a RenderError naming what does not render.
 */
export interface Manifests {
  /** An artifact as validated at the door (lib/domain/artifact.ts parseArtifact). */
  parseArtifact(body: unknown): Promise<ArtifactInput>;
  /** The files of one of the artifact's targets (lib/domain/render-target.ts renderFiles). */
  render(artifact: ArtifactInput, target: Target): Promise<RenderedFile[]>;
}

export interface ArtifactStore {
  /** Stores the artifact and its audit record together, or neither. */
  put(artifact: Artifact, receivedAt: Date, audit: AuditEntry): Promise<void>;
  get(id: string): Promise<Artifact | undefined>;
  list(query: ArtifactQuery): Promise<Artifact[]>;
  /**
   * Records that the policy processor has evaluated the artifact. The stream path evaluates an artifact
   * once, ever: a replay (restarted local stack, new consumer from TRIM_HORIZON) finds the mark and skips.
   */
  markEvaluated(id: string, evaluation: PolicyEvaluation): Promise<void>;
  /** undefined: no such artifact; `{}`: stored, not evaluated yet. */
  evaluation(id: string): Promise<{ evaluation?: PolicyEvaluation } | undefined>;
}

/** What the policy processor did with an artifact, kept for `GET /api/eventArtifactTrack`. */
export interface PolicyEvaluation {
  /** ISO time of the evaluation. */
  at: string;
  /** Manifests whose policy matched but that could not be released, and why. */
  skipped: { env: string; app: string; outcome: 'invalid' | 'blocked' | 'held'; reason: string }[];
}

export interface User {
  login: string;
  /** Display name (Gimlet's `name`). */
  name?: string;
  role: Role;
  environments?: string[];
  /** RFC 3339; the token stops working at this instant. */
  expiresAt?: string;
  /** Groups approval rules name (`release-approvers`). */
  groups?: string[];
  /** Matched against a commit's author email: nobody approves their own commit. */
  email?: string;
  /** The Slack member id that acts as this user from Slack's buttons. */
  slackUserId?: string;
  createdAt: string;
  createdBy: string;
  tokenId: string;
}

/** What a token grants: looked up by the token's hash on every request. */
export interface TokenGrant {
  login: string;
  role: Role;
  environments?: string[];
  expiresAt?: string;
  tokenId: string;
}

export interface UserStore {
  /** Throws ConflictError when the login exists. */
  create(user: User, tokenHash: string, audit: AuditEntry): Promise<void>;
  get(login: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  /** Removes the user and its token at once; false when there was no such user. */
  delete(login: string, audit: AuditEntry): Promise<boolean>;
  /** Replaces the user's token; the old one stops working in the same write. Throws NotFoundError. */
  replaceToken(login: string, tokenId: string, tokenHash: string, audit: AuditEntry): Promise<User>;
  findGrant(tokenHash: string): Promise<TokenGrant | undefined>;
  /** Stores a token that belongs to no user (an OIDC exchange's); it must carry `expiresAt`. */
  createGrant(tokenHash: string, grant: TokenGrant, audit: AuditEntry): Promise<void>;
}

/** Checks a CI identity token (GitHub Actions OIDC); throws UnauthenticatedError naming what failed. */
export interface OidcVerifier {
  verify(jwt: string): Promise<{ claims: GithubClaims; expiresAt: Date }>;
}

export interface AuditLog {
  list(limit: number): Promise<AuditEntry[]>;
  /** An entry that goes with no change (a refused OIDC exchange). */
  record(entry: AuditEntry): Promise<void>;
}

/** The admin credential kept outside the user table (Secrets Manager on Lambda). */
export interface AdminCredential {
  matches(tokenHash: string): Promise<boolean>;
}

/** The gitops repository's state as the writer last pushed it, mirrored in DynamoDB for fast reads. */
export interface AppRelease {
  record: ReleaseRecord;
  gitopsSha: string;
  /** ISO time of the commit. */
  committedAt: string;
  /** The request that made the commit (a rollback's own; `record.requestId` names the restored release's). */
  requestId?: string;
}

export interface AppStatus {
  app: string;
  /** Set by listings across environments (`everyApp`). */
  env?: string;
  release?: AppRelease;
  hold?: Hold;
}

/** One commit that changed `<env>/<app>`, newest first in history listings. */
export interface HistoryEntry {
  env: string;
  app: string;
  intent: Intent;
  requestId: string;
  /** Who asked for this commit (for a rollback, not who made the release it restores). */
  triggeredBy: string;
  gitopsSha: string;
  committedAt: string;
  /** deploy and rollback: what the folder now holds; delete: undefined. */
  record?: ReleaseRecord;
  /** rollback: the commit whose content came back. */
  targetSha?: string;
  /** What the folder holds after the commit (kept only with the app's current release, for dry runs). */
  files?: Record<string, string>;
  /** What the commit changed (kept with the commit only; absent on commits from before it was kept). */
  diff?: CommitDiff;
}

export interface HistoryQuery {
  env: string;
  app?: string;
  since?: Date;
  until?: Date;
  limit: number;
}

/** What the writer learned about one request once its batch reached the remote (or could not). */
export interface WriteOutcome {
  /** The request as it was before; the stored state must still be this for the outcome to apply. */
  before: ReleaseRequest;
  after: ReleaseRequest;
  /** Set for commits: the mirror of the repository to update with it. */
  commit?: HistoryEntry;
}

export interface NewRequest {
  request: ReleaseRequest;
  audit: AuditEntry;
  /** Scoped to the caller's login; a replay with the same key returns the first request. */
  idempotencyKey?: string;
  /** What the key was used for, so a reused key with a different body is refused. */
  fingerprint?: string;
  /** rollback sets a hold; a deliberate deploy lifts it. */
  hold?: Hold | 'lift';
}

export interface ReleaseStore {
  /**
   * Records the request (state `requested`) with its audit entry and the next sequence number of its
   * `<env>/<app>`; returns the first request for a replayed idempotency key.
   */
  create(input: NewRequest): Promise<ReleaseRequest>;
  get(id: string): Promise<ReleaseRequest | undefined>;
  getMany(ids: readonly string[]): Promise<ReleaseRequest[]>;
  /** Moves the request forward; undefined when it is already at or past that state. */
  advance(id: string, change: StateChange): Promise<ReleaseRequest | undefined>;
  /** Stores the writer's outcome; false when another attempt recorded it first. */
  recordOutcome(outcome: WriteOutcome): Promise<boolean>;
  /**
   * Stores a whole batch's outcomes at once, all or none; false when any of them would not apply (or they
   * cannot go in one write), and then nothing was stored: record them one by one.
   */
  recordOutcomes(outcomes: readonly WriteOutcome[]): Promise<boolean>;
  /**
   * The sequence of the request that last changed each `<env>/<app>` (committed or found unchanged), keyed
   * `<env>/<app>`; apps without one are absent.
   */
  writtenSequences(targets: readonly { env: string; app: string }[]): Promise<Map<string, number>>;
  /** Requests recorded for one artifact (policy and manual), oldest first. */
  forArtifact(artifactId: string): Promise<ReleaseRequest[]>;
  history(query: HistoryQuery): Promise<HistoryEntry[]>;
  status(env: string, app?: string): Promise<AppStatus[]>;
  /** What every `<env>/<app>` Ferry has committed to holds now, and any hold, by env then app. */
  everyApp(): Promise<(AppStatus & { env: string })[]>;
  /** The newest requests of every environment, newest first (the dashboard's activity view). */
  recent(limit: number): Promise<ReleaseRequest[]>;
  /** The Ferry commit `gitopsSha` that changed `<env>/<app>`, if there was one. */
  findCommit(env: string, app: string, gitopsSha: string): Promise<HistoryEntry | undefined>;
  liftHold(env: string, app: string, audit: AuditEntry): Promise<boolean>;
  /**
   * What the writer last committed to `<env>/<app>`: its commit and, unless they were too large to keep,
   * the folder's files (for dry-run diffs); undefined when nothing is deployed.
   */
  deployedFiles(
    env: string,
    app: string,
  ): Promise<{ gitopsSha: string; files?: Record<string, string> } | undefined>;
  /**
   * Moves `before` (requested, queued or waiting) to `waiting` with `after.gate`, and lists it among the
   * waiting requests of its `<env>/<app>`; false when the stored request is no longer `before`.
   */
  park(before: ReleaseRequest, after: ReleaseRequest): Promise<boolean>;
  /** Waiting requests (of one `<env>/<app>`, or all), per `<env>/<app>` in sequence order. */
  waiting(target?: { env: string; app: string }): Promise<ReleaseRequest[]>;
  /**
   * Marks a waiting request released (its conditions cleared) and records the release for the outbox
   * relay, which queues it again; false when it is no longer waiting as read.
   */
  release(before: ReleaseRequest, at: string): Promise<boolean>;
  /** Committed requests of an environment that Flux has not settled yet, oldest first. */
  openRequests(env: string): Promise<OpenRelease[]>;
  /** Moves a committed request on from Flux's feedback; a terminal state closes it. */
  settle(open: OpenRelease, change: StateChange): Promise<ReleaseRequest | undefined>;
}

/** Policies set through the API; install-time restrictions are added by the caller, not stored. */
export interface PolicyStore {
  list(): Promise<PolicyRule[]>;
  /** Creates or replaces the rule with its audit record. */
  put(rule: PolicyRule, audit: AuditEntry): Promise<void>;
  /** False when there was no such rule. */
  delete(id: string, audit: AuditEntry): Promise<boolean>;
}

/** Halts, freeze windows, approval rules, and the decisions and overrides on single requests. */
export interface GovernanceStore {
  settings(): Promise<GateSettings>;
  /** Writes the halt, its audit entry and the announcement together. */
  putHalt(halt: Halt, audit: AuditEntry, announcement?: Announcement): Promise<void>;
  /** The halt lifted; undefined when `env` was not halted. */
  deleteHalt(env: string, audit: AuditEntry, announcement?: Announcement): Promise<Halt | undefined>;
  putFreeze(window: FreezeWindow, audit: AuditEntry): Promise<void>;
  deleteFreeze(id: string, audit: AuditEntry): Promise<boolean>;
  putApprovalRule(rule: ApprovalRule, audit: AuditEntry): Promise<void>;
  deleteApprovalRule(env: string, audit: AuditEntry): Promise<boolean>;
  /** Decisions (one per person, the latest) and any override recorded on a request. */
  gateOf(requestId: string): Promise<{ decisions: Decision[]; override?: Override }>;
  decide(requestId: string, decision: Decision, audit: AuditEntry): Promise<void>;
  putOverride(
    requestId: string,
    override: Override,
    audit: AuditEntry,
    announcement?: Announcement,
  ): Promise<void>;
}

/** A message for an environment's Slack channel about the environment itself (a halt, an override). */
export interface Announcement {
  env: string;
  text: string;
}

/** A commit Ferry made that Flux has not reported as succeeded or failed yet. */
export interface OpenRelease {
  requestId: string;
  env: string;
  app: string;
  gitopsSha: string;
  committedAt: string;
}

/** A Flux event as received, after authentication and validation. */
export interface StoredFluxEvent {
  /** Hash of the raw body: a retried delivery resends the same bytes and is stored once. */
  id: string;
  env: string;
  receivedAt: string;
  event: FluxEvent;
}

/** What Ferry knows about an environment's Flux connection. */
export interface FluxEnvironment {
  env: string;
  /** The first event's arrival: from then on `--wait` follows releases to Flux's verdict. */
  connectedAt: string;
  lastEventAt: string;
  lastRevision?: string;
  lastReason?: string;
}

export interface FluxStore {
  /** Stores the event once; false when the same bytes were stored before (a retry or a second Alert). */
  record(event: StoredFluxEvent, revision: string | undefined): Promise<boolean>;
  environment(env: string): Promise<FluxEnvironment | undefined>;
}

export interface CommitInfo {
  sha: string;
  message: string;
  time: Date;
}

/** How one request changes the folder `dir` (`<env>/<app>`). */
/** A file elsewhere in the repository set to `content`, or removed when `content` is undefined. */
export interface FileEdit {
  path: string;
  content: string | undefined;
}

export type FolderChange = (
  | { kind: 'replace'; dir: string; files: { name: string; content: string }[] }
  | { kind: 'remove'; dir: string }
  | { kind: 'restore'; dir: string; from: string }
  /** Writes these files into `dir` (names may contain `/`) and keeps everything else there. */
  | { kind: 'merge'; dir: string; files: { name: string; content: string }[] }
) & {
  /** Other files the same commit sets or removes (an app's Flux Kustomization beside its folder). */
  edits?: FileEdit[];
};

export type PushOutcome = { pushed: true } | { pushed: false; reason: string };

/** The gitops repository as the writer sees it: a local copy of one branch of the remote. */
export interface GitopsRepo {
  readonly url: string;
  /**
   * Fetches the branch; returns the remote head, undefined while the branch does not exist. With `reuse`,
   * a clone whose last word from the remote was its own accepted push skips the fetch and returns that
   * head: the push is a compare-and-swap, so a stale head only costs one refused push and a real fetch.
   */
  sync(options?: { reuse?: boolean }): Promise<string | undefined>;
  /**
   * Commits reachable from head committed at or after `since`, newest first. Throws NotFoundError when
   * `head` is not a commit of the branch; every other failure is a retryable or permanent FerryError.
   */
  recentCommits(head: string | undefined, since: Date): Promise<CommitInfo[]>;
  /** A new commit on `parent` with the change, or undefined when the tree would not change. */
  commit(
    parent: string | undefined,
    change: FolderChange,
    message: string,
    at: Date,
  ): Promise<string | undefined>;
  /** Whether commit `sha` changed `dir` compared with its first parent (false for an unknown sha). */
  changedDir(sha: string, dir: string): Promise<boolean>;
  readFile(sha: string, path: string): Promise<string | undefined>;
  /** The files directly in `dir` at commit `sha` by name; undefined when there is no such folder. */
  readFolder(sha: string, dir: string): Promise<Map<string, string> | undefined>;
  /**
   * Whether `dir` at commit `sha` holds exactly `files` besides the names in `ignore` (compared by object
   * id, without reading the blobs).
   */
  holdsFiles(
    sha: string,
    dir: string,
    files: readonly { name: string; content: string }[],
    ignore: readonly string[],
  ): Promise<boolean>;
  /** The names of the folders directly in `dir` at commit `sha` (none when there is no such folder). */
  listFolders(sha: string, dir: string): Promise<string[]>;
  /** Pushes `head` if the remote branch is still at `expected`; refused when someone else pushed first. */
  push(expected: string | undefined, head: string): Promise<PushOutcome>;
}

/**
 * Which gitops repository each environment is written to (FERRY_GITOPS_REPOS, GimletD's GITOPS_REPOS);
 * without it every environment goes to the one repository.
 */
export interface GitopsRouting {
  /** Writes with the same key go to one repository branch and are serialised; others may run in parallel. */
  keyOf(env: string): string;
  /** The clone of the environment's repository branch, one for every environment in it. */
  repoFor(env: string): GitopsRepo;
  /**
   * The folder of the repository the environment's `<env>/` lives in (FERRY_GITOPS_REPOS `path`, no leading
   * or trailing slash); '' for the root. lib/app/gitops-folder.ts gives the environment's view.
   */
  folderOf(env: string): string;
}

/** One repository for every environment, at its root. */
export function singleRepo(repo: GitopsRepo, key = repo.url): GitopsRouting {
  return { keyOf: () => key, repoFor: () => repo, folderOf: () => '' };
}

export interface QueuedMessage {
  requestId: string;
  /** The FIFO message group: the repository branch the request writes to. */
  groupId: string;
  /** What must stay in order inside the group (`<env>/<app>`); defaults to the group. */
  orderKey?: string;
  /** SQS deduplication id when it is not the request id (a released waiting request is queued again). */
  dedupId?: string;
}

/** The FIFO queue in front of the writer. */
export interface WriteQueue {
  /** Sends with the request id as deduplication id; returns the request ids that failed. */
  send(messages: readonly QueuedMessage[]): Promise<string[]>;
}
