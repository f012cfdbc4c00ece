import { createHash } from 'node:crypto';
import type { Principal } from '../domain/access.ts';
import type { Artifact, Version } from '../domain/artifact.ts';
import { ConflictError, FerryError, failureReason, isRetryable } from '../domain/errors.ts';
import type { Manifest } from '../domain/manifest.ts';
import { evaluateDeploy } from '../domain/policy.ts';
import { autoReleaseMatches, type PolicyRule, restrictionBlocking } from '../domain/policy-rules.ts';
import type { ReleaseRequest } from '../domain/release.ts';
import { manifestTarget, type Target, templateVars } from '../domain/targets.ts';
import { withCorrelationId } from '../log/invocation.ts';
import type { Logger } from '../log/logger.ts';
import { auditEntry, type CallContext } from './audit.ts';
import type { ArtifactStore, Clock, Manifests, ReleaseStore } from './ports.ts';

export interface AutoReleaseDeps {
  artifacts: ArtifactStore;
  manifests: Manifests;
  releases: ReleaseStore;
  /** Every policy in force: the stored ones and the install's restrictions. */
  rules: () => Promise<PolicyRule[]>;
  clock: Clock;
  logger: Logger;
}

/** What policy evaluation decided for one manifest of an artifact, in words a dry run prints. */
export interface ManifestDecision {
  /** As written in the manifest (possibly templated). */
  env: string;
  app: string;
  matched: boolean;
  reasons: string[];
  /** Set when it matched: the rendered target and what happened to it. */
  target?: { env: string; app: string };
  outcome?: 'requested' | 'duplicate' | 'blocked' | 'held' | 'invalid' | 'would-request';
  requestId?: string;
}

export const POLICY_PRINCIPAL: Principal = { login: 'policy', role: 'ci', tokenId: 'policy' };

/** The same artifact, environment and app always make the same request id: a replay creates nothing. */
export function policyRequestId(artifactId: string, env: string, app: string): string {
  return `policy-${createHash('sha256').update(`${artifactId}\n${env}\n${app}`).digest('hex').slice(0, 32)}`;
}

function policyDecision(manifest: Manifest, version: Version): { matched: boolean; reasons: string[] } {
  if (manifest.preview === true && !manifest.deploy) {
    const ok = version.event === 'pr';
    return { matched: ok, reasons: [`preview: event ${version.event} ${ok ? '=' : '≠'} pr`] };
  }
  const decision = evaluateDeploy(manifest.deploy, version);
  if (manifest.preview === true && decision.matched && version.event !== 'pr') {
    return { matched: false, reasons: [...decision.reasons, `preview: event ${version.event} ≠ pr`] };
  }
  return decision;
}

/**
 * Evaluates every manifest's `deploy` policy and the API's auto-release policies for a stored artifact,
 * and requests a release for each match, exactly once per artifact × env × app (the request id is derived
 * from the three). Templates are rendered only for manifests that matched, so an unrelated environment's
 * missing variable never fails anything. Branch restrictions block, and a rollback's hold pauses, the
 * app in that environment. With `dryRun` nothing is written.
 */
export async function releaseByPolicy(
  deps: AutoReleaseDeps,
  artifact: Artifact,
  options: { dryRun?: boolean } = {},
): Promise<ManifestDecision[]> {
  const rules = await deps.rules();
  const autoReleases = rules.filter((r) => r.kind === 'auto-release');
  const vars = templateVars(artifact);
  const { version } = artifact;
  const decisions: ManifestDecision[] = [];
  const seen = new Set<string>();
  for (const manifest of artifact.environments) {
    const decision: ManifestDecision = {
      env: manifest.env,
      app: manifest.app,
      ...policyDecision(manifest, version),
    };
    decisions.push(decision);
    let target: Target | undefined;
    try {
      if (decision.matched || autoReleases.length > 0) target = manifestTarget(manifest, vars, version);
    } catch (error) {
      if (!decision.matched) continue;
      decision.outcome = 'invalid';
      decision.reasons.push((error as Error).message);
      continue;
    }
    if (!decision.matched && target && version.event === 'push') {
      const rule = autoReleases.find((r) => autoReleaseMatches(r, target.env, target.app, version.branch));
      if (rule) {
        decision.matched = true;
        decision.reasons.push(
          `auto-release ${rule.app} → ${rule.env}: branch ${version.branch} matches "${rule.branch}"`,
        );
      }
    }
    if (!decision.matched || !target) continue;
    decision.target = { env: target.env, app: target.app };
    const key = `${target.env}/${target.app}`;
    if (seen.has(key)) {
      decision.outcome = 'duplicate';
      decision.reasons.push(`another manifest of this artifact already releases ${key}`);
      continue;
    }
    seen.add(key);
    const blocked = restrictionBlocking(rules, target.env, target.app, version.branch);
    if (blocked) {
      decision.outcome = 'blocked';
      decision.reasons.push(blocked);
      continue;
    }
    const [status] = await deps.releases.status(target.env, target.app);
    if (status?.hold) {
      decision.outcome = 'held';
      decision.reasons.push(`held since ${status.hold.by} ${status.hold.reason}; ferry resume lifts it`);
      continue;
    }
    const id = policyRequestId(artifact.id, target.env, target.app);
    try {
      await deps.manifests.render(artifact, target);
    } catch (error) {
      // Not rendered at all (the render function throttled or down): the same evaluation again can pass.
      if (isRetryable(error)) throw error;
      // Rendering is pure: whatever it throws (a RangeError from a runaway template included) it throws
      // again on every retry. The release is due but cannot be made: it is recorded failed, with the
      // reason, so the author sees it rather than a silently missing deploy.
      decision.outcome = 'invalid';
      decision.reasons.push(error instanceof FerryError ? error.message : failureReason(error));
      if (!options.dryRun) {
        decision.requestId = id;
        await createPolicyRequest(deps, {
          id,
          intent: 'deploy',
          env: target.env,
          app: target.app,
          artifactId: artifact.id,
          cause: decision.reasons.slice(0, -1).join('; '),
          failed: `cannot render the manifest: ${decision.reasons.at(-1)}`,
        });
      }
      continue;
    }
    decision.requestId = id;
    if (options.dryRun) {
      const existing = await deps.releases.get(id);
      decision.outcome = existing ? 'duplicate' : 'would-request';
      if (existing) decision.reasons.push(`already requested as ${id} (${existing.state})`);
      continue;
    }
    const created = await createPolicyRequest(deps, {
      id,
      intent: 'deploy',
      env: target.env,
      app: target.app,
      artifactId: artifact.id,
      cause: decision.reasons.join('; '),
    });
    decision.outcome = created ? 'requested' : 'duplicate';
  }
  return decisions;
}

/**
 * Records an automatic request under its derived id; false when that id exists already (a replay), so
 * whatever derived it acts exactly once.
 */
export async function createPolicyRequest(
  deps: { releases: ReleaseStore; clock: Clock; logger: Logger },
  input: {
    id: string;
    intent: 'deploy' | 'delete';
    env: string;
    app: string;
    artifactId?: string;
    cause: string;
    /** Recorded as failed from the start, with this reason: due, but impossible to carry out. */
    failed?: string;
  },
): Promise<boolean> {
  const at = deps.clock.now().toISOString();
  const { id, intent, env, app } = input;
  const failed = input.failed ? { state: 'failed' as const, at, reason: input.failed } : undefined;
  const request: ReleaseRequest = {
    id,
    intent,
    env,
    app,
    ...(input.artifactId ? { artifactId: input.artifactId } : {}),
    cause: input.cause,
    triggeredBy: POLICY_PRINCIPAL.login,
    createdAt: at,
    state: failed ? 'failed' : 'requested',
    ...(failed ? { reason: failed.reason } : {}),
    states: [{ state: 'requested', at }, ...(failed ? [failed] : [])],
  };
  const call: CallContext = { principal: POLICY_PRINCIPAL, requestId: id, clock: deps.clock };
  try {
    await deps.releases.create({
      request,
      audit: auditEntry(call, `release.${intent}`, id, {
        env,
        app,
        ...(input.artifactId ? { artifactId: input.artifactId } : {}),
        cause: input.cause,
      }),
    });
    withCorrelationId(id, () =>
      deps.logger.info(`policy requested a ${intent}`, { requestId: id, env, app, cause: input.cause }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConflictError && (await deps.releases.get(id))) return false;
    throw error;
  }
}

/** The stream's entry point: artifacts by id, each evaluated; returns the ids that failed (to retry). */
export async function releaseArtifacts(deps: AutoReleaseDeps, ids: readonly string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const id of ids) {
    try {
      // A replayed record (restart, new consumer) would evaluate an old artifact under today's policies
      // and release a build that was not due when it arrived: an artifact is evaluated once.
      if ((await deps.artifacts.evaluation(id))?.evaluation) {
        deps.logger.info('policies already evaluated for this artifact; replay skipped', { artifactId: id });
        continue;
      }
      const artifact = await deps.artifacts.get(id);
      if (!artifact) {
        deps.logger.error('stored artifact not found for policy evaluation', { artifactId: id });
        continue;
      }
      const decisions = await releaseByPolicy(deps, artifact);
      await deps.artifacts.markEvaluated(id, {
        at: deps.clock.now().toISOString(),
        skipped: decisions.flatMap((d) =>
          d.outcome === 'invalid' || d.outcome === 'blocked' || d.outcome === 'held'
            ? [
                {
                  env: d.target?.env ?? d.env,
                  app: d.target?.app ?? d.app,
                  outcome: d.outcome,
                  reason: d.reasons.at(-1) ?? d.outcome,
                },
              ]
            : [],
        ),
      });
      deps.logger.info('policies evaluated', {
        artifactId: id,
        matched: decisions.filter((d) => d.matched).length,
        requested: decisions.filter((d) => d.outcome === 'requested').length,
      });
    } catch (error) {
      if (!isRetryable(error)) {
        deps.logger.error('policy evaluation failed for good; the artifact is skipped', {
          artifactId: id,
          reason: failureReason(error),
        });
        continue;
      }
      deps.logger.error('policy evaluation failed; will retry', { artifactId: id, error });
      failed.push(id);
    }
  }
  return failed;
}
