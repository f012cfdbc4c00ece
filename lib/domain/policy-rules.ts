import { ValidationError } from './errors.ts';
import { isDnsLabel } from './names.ts';
import { describeRestriction, globMatch, parseBranchRestriction, restrictionAllows } from './policy.ts';
import { nullable, object, readFields } from './schema.ts';
import { invalid, optionalString } from './validate.ts';

/**
 * Policies set through the API (hamctl's): `auto-release` releases an app's artifacts from a branch to an
 * environment; `branch-restriction` allows releases to an environment (or one app in it) only from
 * branches matching a regular expression. Restrictions from the install configuration cannot be removed
 * through the API.
 */
export interface AutoRelease {
  kind: 'auto-release';
  id: string;
  app: string;
  /** A glob (`*` within a path segment, `**` across); the artifact's push branch must match. */
  branch: string;
  env: string;
  source: 'api';
  createdBy?: string;
  createdAt?: string;
}

export interface BranchRestrictionRule {
  kind: 'branch-restriction';
  id: string;
  env: string;
  app?: string;
  /** A regular expression the artifact's branch must match (`^main$`). */
  branch: string;
  source: 'api' | 'install';
  createdBy?: string;
  createdAt?: string;
}

export type PolicyRule = AutoRelease | BranchRestrictionRule;

export const POLICY_KINDS = ['auto-release', 'branch-restriction'] as const;

const label = (value: unknown, field: string): string => {
  const v = optionalString(value, field);
  if (v === undefined) invalid(field, 'is required');
  if (!isDnsLabel(v)) invalid(field, `must be a DNS-1123 label, got "${v}"`);
  return v;
};

export const autoReleaseId = (app: string, env: string) => `auto-release.${app}.${env}`;
export const restrictionId = (env: string, app?: string) => `branch-restriction.${env}.${app ?? '*'}`;

/** `POST /api/policies`: `{kind, app, branch, env}` or `{kind, env, app?, branch}`. */
export const POLICY_SCHEMA = object(
  {
    kind: { type: 'string', enum: POLICY_KINDS },
    env: { type: 'string', description: 'environment (DNS-1123 label)' },
    app: nullable({
      type: 'string',
      description: 'app (required for auto-release; all apps if absent for a restriction)',
    }),
    branch: {
      type: 'string',
      maxLength: 200,
      description:
        'auto-release: branch name or glob; branch-restriction: regular expression branches must match',
    },
  },
  { required: ['kind', 'env', 'branch'] },
);

export function parsePolicy(body: unknown): PolicyRule {
  const f = readFields<'kind' | 'app' | 'env' | 'branch'>(POLICY_SCHEMA, body, '');
  const kind = optionalString(f.kind, 'kind');
  const branch = optionalString(f.branch, 'branch', 200);
  if (branch === undefined || branch === '') invalid('branch', 'is required');
  if (kind === 'auto-release') {
    const app = label(f.app, 'app');
    const env = label(f.env, 'env');
    return { kind, id: autoReleaseId(app, env), app, env, branch, source: 'api' };
  }
  if (kind === 'branch-restriction') {
    const env = label(f.env, 'env');
    const app = f.app === undefined || f.app === null || f.app === '' ? undefined : label(f.app, 'app');
    parseBranchRestriction(branch);
    const rule: BranchRestrictionRule = { kind, id: restrictionId(env, app), env, branch, source: 'api' };
    if (app) rule.app = app;
    return rule;
  }
  return invalid('kind', `must be one of ${POLICY_KINDS.join(', ')}, got "${kind ?? ''}"`);
}

/** Restrictions fixed at install (`FERRY_BRANCH_RESTRICTIONS`): a JSON array of `{env, app?, branch}`. */
export function parseInstallRestrictions(json: string | undefined): BranchRestrictionRule[] {
  if (!json) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ValidationError('branch restrictions: not valid JSON');
  }
  if (!Array.isArray(parsed)) throw new ValidationError('branch restrictions: must be a JSON array');
  return parsed.map((entry, i) => {
    try {
      const rule = parsePolicy({ ...(entry as object), kind: 'branch-restriction' });
      return { ...(rule as BranchRestrictionRule), source: 'install' as const };
    } catch (error) {
      throw new ValidationError(`branch restrictions[${i}]: ${(error as Error).message}`);
    }
  });
}

/** The restrictions that apply to `<env>/<app>`: the environment's and the app's own. */
export function restrictionsFor(
  rules: readonly PolicyRule[],
  env: string,
  app: string,
): BranchRestrictionRule[] {
  return rules.filter(
    (r): r is BranchRestrictionRule =>
      r.kind === 'branch-restriction' && r.env === env && (r.app === undefined || r.app === app),
  );
}

/** The first restriction the branch breaks, as words for a 4xx or a dry run; undefined when allowed. */
export function restrictionBlocking(
  rules: readonly PolicyRule[],
  env: string,
  app: string,
  branch: string | undefined,
): string | undefined {
  const broken = restrictionsFor(rules, env, app).find((r) => !restrictionAllows(r.branch, branch));
  if (!broken) return undefined;
  const description = describeRestriction({
    env: broken.env,
    branchRegex: broken.branch,
    ...(broken.app ? { app: broken.app } : {}),
  });
  return `blocked by ${description} (${branch ? `branch ${branch}` : 'the artifact has no branch'})`;
}

/**
 * An auto-release must be able to fire: a literal branch is checked against the restrictions of its
 * environment; a pattern cannot be proven to stay inside a regular expression, so under a restriction it
 * must name one branch.
 */
export function autoReleaseConflict(rules: readonly PolicyRule[], rule: AutoRelease): string | undefined {
  const restrictions = restrictionsFor(rules, rule.env, rule.app);
  if (restrictions.length === 0) return undefined;
  if (/[*?[\]!]/.test(rule.branch)) {
    const r = restrictions[0] as BranchRestrictionRule;
    return `branch-restriction ${r.env}${r.app ? `/${r.app}` : ''}: ${r.branch} applies, so an auto-release to ${rule.env} must name one branch, not the pattern "${rule.branch}"`;
  }
  return restrictionBlocking(rules, rule.env, rule.app, rule.branch);
}

/** Whether an auto-release fires for a push of `branch` that carries `<env>/<app>`. */
export function autoReleaseMatches(
  rule: AutoRelease,
  env: string,
  app: string,
  branch: string | undefined,
): boolean {
  return (
    rule.env === env &&
    rule.app === app &&
    branch !== undefined &&
    branch !== '' &&
    globMatch(rule.branch, branch)
  );
}

/** `FERRY_PROMOTION_CHAIN`: `dev,staging,production`. */
export function parsePromotionChain(text: string | undefined): string[] {
  if (!text) return [];
  const chain = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const env of chain) {
    if (!isDnsLabel(env)) throw new ValidationError(`promotion chain: "${env}" is not a DNS-1123 label`);
  }
  if (new Set(chain).size !== chain.length)
    throw new ValidationError('promotion chain: an environment repeats');
  return chain;
}
