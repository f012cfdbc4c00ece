import { setTimeout as sleep } from 'node:timers/promises';
import { authorize, authorizeApp } from '../domain/access.ts';
import type { Artifact } from '../domain/artifact.ts';
import { diffFolders, type FileChange } from '../domain/diff.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ReleaseFailedError,
  ValidationError,
} from '../domain/errors.ts';
import { repoPath } from '../domain/flux-layout.ts';
import { parseScaffold, SCAFFOLD_APP } from '../domain/flux-scaffold.ts';
import { appPath } from '../domain/gitops.ts';
import { type PolicyRule, restrictionBlocking } from '../domain/policy-rules.ts';
import { type Intent, type ReleaseRequest, writerDone } from '../domain/release.ts';
import {
  type DeployInput,
  ENV_INIT_SCHEMA,
  parseDeploy,
  parseRollback,
  parseTarget,
  requiredLabel,
} from '../domain/release-input.ts';
import type { RenderedFile } from '../domain/render/index.ts';
import { readFields } from '../domain/schema.ts';
import { selectTarget } from '../domain/targets.ts';
import { optionalString } from '../domain/validate.ts';
import { setCorrelationId } from '../log/invocation.ts';
import { auditEntry, type CallContext } from './audit.ts';
import type { ArtifactStore, Manifests, NewRequest, ReleaseStore } from './ports.ts';
import { newId } from './tokens.ts';

export interface ReleaseDeps {
  releases: ReleaseStore;
  artifacts: ArtifactStore;
  manifests: Manifests;
  /** How long `POST /api/delete` waits for the writer (default 20 s, under API Gateway's 29 s). */
  deleteWaitMs?: number;
  /** Policies in force (branch restrictions apply to deliberate deploys too). */
  rules?: () => Promise<PolicyRule[]>;
  promotionChain?: readonly string[];
  /** Where an environment's folders live (FERRY_GITOPS_REPOS); without it, the root of one repository. */
  gitopsOf?: (env: string) => GitopsPlace;
}

/** An environment's repository (its address without credentials), branch, and folder in it ('' for the root). */
export interface GitopsPlace {
  url: string;
  branch: string;
  folder: string;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function newRequest(call: CallContext, intent: Intent, env: string, app: string): ReleaseRequest {
  const at = call.clock.now().toISOString();
  return {
    id: newId(),
    intent,
    env,
    app,
    triggeredBy: call.principal.login,
    createdAt: at,
    state: 'requested',
    states: [{ state: 'requested', at }],
  };
}

async function record(deps: ReleaseDeps, call: CallContext, input: Omit<NewRequest, 'audit'>) {
  const { request } = input;
  const detail: Record<string, string> = { env: request.env, app: request.app };
  if (request.artifactId) detail.artifactId = request.artifactId;
  if (request.targetSha) detail.targetSha = request.targetSha;
  // Everything this call logs from here on belongs to the release it records.
  setCorrelationId(request.id);
  return deps.releases.create({
    ...input,
    audit: auditEntry(call, `release.${request.intent}`, request.id, detail),
  });
}

/** What a deploy would change, without writing anything (`?dryRun=true`). */
export interface DeployPreview {
  dryRun: true;
  env: string;
  app: string;
  artifactId: string;
  /** The commit the comparison is against: what Ferry last wrote to `<env>/<app>`. */
  currentGitopsSha: string | null;
  changes: FileChange[];
  diff: string;
  blockedBy?: string;
}

/**
 * The artifact a deploy releases: the given one, or for a promotion the one `fromEnv` runs (`previous` =
 * the environment before `env` in the install's promotion chain).
 */
async function artifactToDeploy(
  deps: ReleaseDeps,
  input: DeployInput,
): Promise<{ artifact: Artifact; from?: string }> {
  if (input.artifactId !== undefined) {
    const artifact = await deps.artifacts.get(input.artifactId);
    if (!artifact) throw new NotFoundError(`artifactId: artifact ${input.artifactId} not found`);
    return { artifact };
  }
  const app = input.app as string;
  let from = input.fromEnv as string;
  if (from === 'previous') {
    const chain = deps.promotionChain ?? [];
    const at = chain.indexOf(input.env);
    if (at <= 0) {
      throw new ValidationError(
        chain.length === 0
          ? 'fromEnv: no promotion chain is configured for this install; name the environment to promote from'
          : `fromEnv: ${input.env} has no previous environment in the promotion chain ${chain.join(' → ')}`,
      );
    }
    from = chain[at - 1] as string;
  }
  const [running] = await deps.releases.status(from, app);
  if (!running?.release)
    throw new ValidationError(`fromEnv: nothing runs as ${from}/${app}, so there is nothing to promote`);
  const artifact = await deps.artifacts.get(running.release.record.artifactId);
  if (!artifact) {
    throw new ValidationError(
      `fromEnv: ${from}/${app} runs artifact ${running.release.record.artifactId}, which is no longer stored`,
    );
  }
  return { artifact, from };
}

/**
 * `POST /api/releases`: the artifact must carry a manifest for the env (and app); the manifest is rendered
 * now so a missing template variable is a 400 naming it rather than a failed request later. Branch
 * restrictions apply to deliberate deploys too. A deliberate deploy lifts a rollback's hold. With
 * `dryRun`, nothing is written and the answer is the diff against what the folder holds now.
 */
export async function requestDeploy(
  deps: ReleaseDeps,
  call: CallContext,
  body: unknown,
  idempotencyKey?: string,
  options: { dryRun?: boolean } = {},
): Promise<ReleaseRequest | DeployPreview> {
  authorize(call.principal, 'release:write');
  const input = parseDeploy(body);
  authorize(call.principal, 'release:write', [input.env]);
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ValidationError('Idempotency-Key: must be 1 to 255 visible ASCII characters');
  }
  const { artifact, from } = await artifactToDeploy(deps, input);
  // Selecting renders every manifest's names; the chosen one is rendered in full from that same pass.
  const target = selectTarget(artifact, input.env, input.app);
  authorizeApp(call.principal, 'release:write', input.env, target.app);
  const files = await deps.manifests.render(artifact, target);
  const { app } = target;
  const blocked = restrictionBlocking(
    deps.rules ? await deps.rules() : [],
    input.env,
    app,
    artifact.version.branch,
  );
  if (options.dryRun) return preview(deps, input.env, app, artifact, files, blocked);
  if (blocked) throw new ForbiddenError(`${input.env}/${app}: ${blocked}`);
  const request = {
    ...newRequest(call, 'deploy', input.env, app),
    artifactId: artifact.id,
    // A promotion says where it came from, for history and the dashboard.
    ...(from ? { cause: `promotion from ${from}` } : {}),
  };
  return record(deps, call, {
    request,
    hold: 'lift',
    ...(idempotencyKey ? { idempotencyKey, fingerprint: `deploy ${input.env}/${app} ${artifact.id}` } : {}),
  });
}

async function preview(
  deps: ReleaseDeps,
  env: string,
  app: string,
  artifact: Artifact,
  files: RenderedFile[],
  blocked: string | undefined,
): Promise<DeployPreview> {
  const current = await deps.releases.deployedFiles(env, app);
  const before = new Map(Object.entries(current?.files ?? {}));
  const after = new Map(files.map((f) => [f.name, f.content]));
  // release.json names the request, which a dry run does not make: compare the rest.
  before.delete('release.json');
  // Paths as the commit will show them: under the environment's folder of its repository.
  const folder = deps.gitopsOf?.(env).folder ?? '';
  const { changes, diff } = diffFolders(repoPath(folder, appPath(env, app)), before, after);
  const view: DeployPreview = {
    dryRun: true,
    env,
    app,
    artifactId: artifact.id,
    currentGitopsSha: current?.gitopsSha ?? null,
    changes,
    diff,
  };
  if (blocked) view.blockedBy = blocked;
  return view;
}

/** `POST /api/rollback`: only to a Ferry commit that changed `<env>/<app>`; holds automatic deploys. */
export async function requestRollback(
  deps: ReleaseDeps,
  call: CallContext,
  fields: Record<string, unknown>,
): Promise<ReleaseRequest> {
  authorize(call.principal, 'release:write');
  const input = parseRollback(fields);
  authorizeApp(call.principal, 'release:write', input.env, input.app);
  const target = await deps.releases.findCommit(input.env, input.app, input.sha);
  if (!target) {
    throw new ValidationError(
      `sha: ${input.sha} is not a commit that changed ${input.env}/${input.app}; ` +
        `GET /api/releases?env=${input.env}&app=${input.app} lists the ones to roll back to`,
    );
  }
  const request = { ...newRequest(call, 'rollback', input.env, input.app), targetSha: input.sha };
  return record(deps, call, {
    request,
    hold: {
      by: call.principal.login,
      at: request.createdAt,
      reason: `rolled back to ${input.sha}`,
      requestId: request.id,
    },
  });
}

/** `POST /api/delete`: removes `<env>/<app>` through the writer (GimletD did it inside the request). */
export async function requestDelete(
  deps: ReleaseDeps,
  call: CallContext,
  fields: Record<string, unknown>,
): Promise<ReleaseRequest> {
  authorize(call.principal, 'release:write');
  const input = parseTarget(fields);
  authorizeApp(call.principal, 'release:write', input.env, input.app);
  const request = await record(deps, call, { request: newRequest(call, 'delete', input.env, input.app) });
  return awaitWriter(deps, request, deps.deleteWaitMs ?? DELETE_WAIT_MS);
}

const DELETE_WAIT_MS = 20_000;
const WAIT_POLL_MS = 100;

/**
 * GimletD deleted inside the request, and the gimlet CLI prints "deleted" on any 2xx and never tracks a
 * delete. So the answer waits (bounded) for the writer: a delete that fails is a 422 naming the reason;
 * one still queued when the wait ends is returned as it stands, to follow with its id.
 */
async function awaitWriter(
  deps: ReleaseDeps,
  request: ReleaseRequest,
  waitMs: number,
): Promise<ReleaseRequest> {
  const deadline = Date.now() + waitMs;
  let current = request;
  while (!writerDone(current.state) && Date.now() < deadline) {
    await sleep(WAIT_POLL_MS);
    current = (await deps.releases.get(request.id)) ?? current;
  }
  if (current.state === 'failed') {
    throw new ReleaseFailedError(
      `${current.intent} of ${current.env}/${current.app} failed: ${current.reason ?? 'no reason given'} (request ${current.id})`,
    );
  }
  return current;
}

/**
 * `POST /api/environments/{env}/init`: commits `<env>/flux/` (GitRepository + entry Kustomization unless
 * an existing GitRepository is named, a generic-hmac Provider posting to Ferry, an Alert, the settings the
 * per-app Kustomizations use) through the writer. Platform admins only.
 */
export async function requestEnvInit(
  deps: ReleaseDeps & { fluxEventsUrl?: string; gitopsRepo?: string; gitopsBranch?: string },
  call: CallContext,
  env: string,
  fields: Record<string, unknown>,
): Promise<ReleaseRequest> {
  authorize(call.principal, 'env:manage');
  const f = readFields<
    'url' | 'kustomization' | 'namespace' | 'secretName' | 'source' | 'repoUrl' | 'branch' | 'gitSecret'
  >(ENV_INIT_SCHEMA, fields, '');
  const name = requiredLabel(env, 'env');
  const source = optionalString(f.source, 'source');
  // The GitRepository points at the environment's own repository and branch unless told otherwise.
  const place = deps.gitopsOf?.(name);
  const scaffold = parseScaffold({
    env: name,
    eventsUrl: optionalString(f.url, 'url', 2048) ?? deps.fluxEventsUrl,
    kustomization: optionalString(f.kustomization, 'kustomization'),
    namespace: optionalString(f.namespace, 'namespace'),
    secretName: optionalString(f.secretName, 'secretName'),
    source,
    repoUrl: source
      ? undefined
      : (optionalString(f.repoUrl, 'repoUrl', 2048) ?? place?.url ?? deps.gitopsRepo),
    branch: optionalString(f.branch, 'branch') ?? place?.branch ?? deps.gitopsBranch,
    gitSecret: optionalString(f.gitSecret, 'gitSecret'),
  });
  const request = { ...newRequest(call, 'init', name, SCAFFOLD_APP), scaffold };
  return record(deps, call, { request });
}

/** `POST /api/resume`: lifts a rollback's hold so automatic deploys of the app continue. */
export async function resumeApp(
  deps: ReleaseDeps,
  call: CallContext,
  fields: Record<string, unknown>,
): Promise<{ env: string; app: string; resumed: true }> {
  authorize(call.principal, 'release:write');
  const input = parseTarget(fields);
  authorizeApp(call.principal, 'release:write', input.env, input.app);
  const lifted = await deps.releases.liftHold(
    input.env,
    input.app,
    auditEntry(call, 'release.resume', `${input.env}/${input.app}`),
  );
  if (!lifted) throw new NotFoundError(`${input.env}/${input.app} is not on hold`);
  return { ...input, resumed: true };
}

export async function getRequest(deps: ReleaseDeps, call: CallContext, id: string): Promise<ReleaseRequest> {
  authorize(call.principal, 'release:read');
  const request = await deps.releases.get(id);
  if (!request) throw new NotFoundError(`release request ${id} not found`);
  authorize(call.principal, 'release:read', [request.env]);
  return request;
}

/**
 * `POST /api/releases/{id}/requeue`: a failed request (a write parked in the dead-letter queue, a remote
 * that refused it) is requested again as a new request with the same intent, target and artifact; the
 * failed one stays failed (states only move forward) and the new one names it as its cause.
 */
export async function requeueRequest(
  deps: ReleaseDeps,
  call: CallContext,
  id: string,
): Promise<ReleaseRequest> {
  authorize(call.principal, 'release:write');
  const failed = await deps.releases.get(id);
  if (!failed) throw new NotFoundError(`release request ${id} not found`);
  authorizeApp(call.principal, 'release:write', failed.env, failed.app);
  if (failed.state !== 'failed' || failed.gitopsSha) {
    throw new ConflictError(
      `release request ${id} is ${failed.state}${failed.gitopsSha ? ' after its commit' : ''}; only a request that failed before committing can be requeued`,
    );
  }
  // A requeue is a new request with a new sequence: it must not become a way to put a stale release back
  // over one written since (the DLQ-redrive hazard ordering rules out).
  const written = (await deps.releases.writtenSequences([failed])).get(appPath(failed.env, failed.app));
  if (failed.sequence !== undefined && written !== undefined && written > failed.sequence) {
    throw new ConflictError(
      `release request ${id} is stale: a newer request for ${failed.env}/${failed.app} was written since; request the release again if you mean it`,
    );
  }
  const request: ReleaseRequest = {
    ...newRequest(call, failed.intent, failed.env, failed.app),
    cause: `requeue of ${id}`,
    ...(failed.artifactId ? { artifactId: failed.artifactId } : {}),
    ...(failed.targetSha ? { targetSha: failed.targetSha } : {}),
    ...(failed.scaffold ? { scaffold: failed.scaffold } : {}),
  };
  return record(deps, call, { request });
}
