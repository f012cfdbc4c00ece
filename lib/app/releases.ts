import { authorize } from '../domain/access.ts';
import type { Artifact } from '../domain/artifact.ts';
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import { parseScaffold, SCAFFOLD_APP } from '../domain/flux-scaffold.ts';
import type { Intent, ReleaseRequest } from '../domain/release.ts';
import { parseDeploy, parseRollback, parseTarget, requiredLabel } from '../domain/release-input.ts';
import { renderFiles, selectTarget } from '../domain/targets.ts';
import { knownFields, optionalString } from '../domain/validate.ts';
import { auditEntry, type CallContext } from './audit.ts';
import type { ArtifactStore, NewRequest, ReleaseStore } from './ports.ts';
import { newId } from './tokens.ts';

export interface ReleaseDeps {
  releases: ReleaseStore;
  artifacts: ArtifactStore;
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
  return deps.releases.create({
    ...input,
    audit: auditEntry(call, `release.${request.intent}`, request.id, detail),
  });
}

/**
 * `POST /api/releases`: the artifact must carry a manifest for the env (and app); the manifest is rendered
 * now so a missing template variable is a 400 naming it rather than a failed request later. A deliberate
 * deploy lifts a rollback's hold.
 */
export async function requestDeploy(
  deps: ReleaseDeps,
  call: CallContext,
  body: unknown,
  idempotencyKey?: string,
): Promise<ReleaseRequest> {
  authorize(call.principal, 'release:write');
  const input = parseDeploy(body);
  authorize(call.principal, 'release:write', [input.env]);
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ValidationError('Idempotency-Key: must be 1 to 255 visible ASCII characters');
  }
  const artifact: Artifact | undefined = await deps.artifacts.get(input.artifactId);
  if (!artifact) throw new NotFoundError(`artifactId: artifact ${input.artifactId} not found`);
  // Selecting renders every manifest's names; the chosen one is rendered in full from that same pass.
  const target = selectTarget(artifact, input.env, input.app);
  renderFiles(target);
  const { app } = target;
  const request = { ...newRequest(call, 'deploy', input.env, app), artifactId: artifact.id };
  return record(deps, call, {
    request,
    hold: 'lift',
    ...(idempotencyKey ? { idempotencyKey, fingerprint: `deploy ${input.env}/${app} ${artifact.id}` } : {}),
  });
}

/** `POST /api/rollback`: only to a Ferry commit that changed `<env>/<app>`; holds automatic deploys. */
export async function requestRollback(
  deps: ReleaseDeps,
  call: CallContext,
  fields: Record<string, unknown>,
): Promise<ReleaseRequest> {
  authorize(call.principal, 'release:write');
  const input = parseRollback(fields);
  authorize(call.principal, 'release:write', [input.env]);
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
  authorize(call.principal, 'release:write', [input.env]);
  return record(deps, call, { request: newRequest(call, 'delete', input.env, input.app) });
}

/**
 * `POST /api/environments/{env}/init`: commits `<env>/flux/` (a generic-hmac Provider posting to Ferry
 * and an Alert for the environment's Kustomization) through the writer. Platform admins only.
 */
export async function requestEnvInit(
  deps: ReleaseDeps & { fluxEventsUrl?: string },
  call: CallContext,
  env: string,
  fields: Record<string, unknown>,
): Promise<ReleaseRequest> {
  authorize(call.principal, 'env:manage');
  const f = knownFields(fields, '', ['url', 'kustomization', 'namespace', 'secretName'] as const);
  const scaffold = parseScaffold({
    eventsUrl: optionalString(f.url, 'url', 2048) ?? deps.fluxEventsUrl,
    kustomization: optionalString(f.kustomization, 'kustomization'),
    namespace: optionalString(f.namespace, 'namespace'),
    secretName: optionalString(f.secretName, 'secretName'),
  });
  const request = { ...newRequest(call, 'init', requiredLabel(env, 'env'), SCAFFOLD_APP), scaffold };
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
  authorize(call.principal, 'release:write', [input.env]);
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
  return request;
}
