import { authorize, canSee } from '../domain/access.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.ts';
import {
  autoReleaseConflict,
  type BranchRestrictionRule,
  type PolicyRule,
  parsePolicy,
} from '../domain/policy-rules.ts';
import { object, readFields } from '../domain/schema.ts';
import { optionalString } from '../domain/validate.ts';
import { auditEntry, type CallContext } from './audit.ts';
import { type AutoReleaseDeps, type ManifestDecision, releaseByPolicy } from './auto-release.ts';
import type { PolicyStore } from './ports.ts';

export interface PolicyDeps {
  policies: PolicyStore;
  /** Fixed at install (FERRY_BRANCH_RESTRICTIONS); listed, enforced, never removable through the API. */
  installRestrictions: readonly BranchRestrictionRule[];
}

/** Every rule in force: the install's restrictions first, then the stored ones. */
export async function allRules(deps: PolicyDeps): Promise<PolicyRule[]> {
  return [...deps.installRestrictions, ...(await deps.policies.list())];
}

/** `GET /api/policies` */
export async function listPolicies(deps: PolicyDeps, call: CallContext): Promise<PolicyRule[]> {
  authorize(call.principal, 'release:read');
  return (await allRules(deps)).filter((r) => canSee(call.principal, r.env));
}

/**
 * `POST /api/policies`: creates or replaces an auto-release or a branch restriction. An auto-release that a
 * restriction forbids is refused naming the restriction; an install restriction cannot be replaced.
 */
export async function applyPolicy(deps: PolicyDeps, call: CallContext, body: unknown): Promise<PolicyRule> {
  authorize(call.principal, 'release:write');
  const parsed = parsePolicy(body);
  authorize(call.principal, parsed.kind === 'branch-restriction' ? 'env:manage' : 'release:write', [
    parsed.env,
  ]);
  const rules = await allRules(deps);
  if (deps.installRestrictions.some((r) => r.id === parsed.id)) {
    throw new ConflictError(`${parsed.id} is fixed by the install configuration; change it there`);
  }
  if (parsed.kind === 'auto-release') {
    const conflict = autoReleaseConflict(rules, parsed);
    if (conflict) throw new ForbiddenError(`auto-release ${parsed.app} → ${parsed.env} refused: ${conflict}`);
  }
  const rule: PolicyRule = {
    ...parsed,
    createdBy: call.principal.login,
    createdAt: call.clock.now().toISOString(),
  };
  await deps.policies.put(rule, auditEntry(call, `policy.apply`, rule.id, { branch: rule.branch }));
  return rule;
}

/** `DELETE /api/policies/{id}` */
export async function deletePolicy(deps: PolicyDeps, call: CallContext, id: string): Promise<void> {
  authorize(call.principal, 'release:write');
  if (deps.installRestrictions.some((r) => r.id === id)) {
    throw new ForbiddenError(
      `${id} is fixed by the install configuration and cannot be deleted through the API`,
    );
  }
  const kind = id.split('.')[0];
  if (kind !== 'auto-release' && kind !== 'branch-restriction') {
    throw new ValidationError(
      `id: "${id}" is not a policy id (auto-release.<app>.<env> or branch-restriction.<env>.<app|*>)`,
    );
  }
  if (kind === 'branch-restriction') authorize(call.principal, 'env:manage');
  const rule = (await deps.policies.list()).find((r) => r.id === id);
  if (!rule) throw new NotFoundError(`policy ${id} not found`);
  authorize(call.principal, 'release:write', [rule.env]);
  if (!(await deps.policies.delete(id, auditEntry(call, 'policy.delete', id)))) {
    throw new NotFoundError(`policy ${id} not found`);
  }
}

/**
 * `POST /api/policies/evaluate` `{artifactId}`: what the artifact's policies would release and why each
 * manifest matched or not; writes nothing.
 */
/** `POST /api/policies/evaluate`. */
export const EVALUATE_SCHEMA = object(
  { artifactId: { type: 'string', maxLength: 300, description: 'stored artifact to evaluate' } },
  { required: ['artifactId'] },
);

export async function explainPolicies(
  deps: AutoReleaseDeps,
  call: CallContext,
  body: unknown,
): Promise<ManifestDecision[]> {
  authorize(call.principal, 'release:read');
  const f = readFields<'artifactId'>(EVALUATE_SCHEMA, body, '');
  const id = optionalString(f.artifactId, 'artifactId', 300);
  if (id === undefined) throw new ValidationError('artifactId: is required');
  const artifact = await deps.artifacts.get(id);
  if (!artifact) throw new NotFoundError(`artifactId: artifact ${id} not found`);
  const decisions = await releaseByPolicy(deps, artifact, { dryRun: true });
  return decisions.filter((d) => canSee(call.principal, d.target?.env ?? d.env));
}
