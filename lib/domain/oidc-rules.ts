import type { Role } from './access.ts';
import { ValidationError } from './errors.ts';
import { isDnsLabel } from './names.ts';
import {
  invalid,
  isPlainObject,
  join,
  knownFields,
  oneOf,
  optionalString,
  requiredString,
} from './validate.ts';

/**
 * The claims of a GitHub Actions OIDC token that Ferry reads (GitHub's "OIDC token claims" reference:
 * https://docs.github.com/en/actions/reference/security/oidc). `environment` is present only when the job
 * names a deployment environment.
 */
export interface GithubClaims {
  repository: string;
  repository_owner?: string;
  ref?: string;
  ref_type?: string;
  workflow?: string;
  workflow_ref?: string;
  job_workflow_ref?: string;
  environment?: string;
  event_name?: string;
  sha?: string;
  actor?: string;
}

/** Roles a CI identity may be given: never admin (install-wide) nor flux (Flux's own webhook). */
export const OIDC_ROLES = ['deployer', 'ci', 'viewer'] as const satisfies readonly Role[];
export type OidcRole = (typeof OIDC_ROLES)[number];

/** Claims a rule may constrain; a field left out matches any value (and a missing claim). */
export const MATCHED_CLAIMS = ['repository', 'ref', 'workflow', 'job_workflow_ref', 'environment'] as const;
export type MatchedClaim = (typeof MATCHED_CLAIMS)[number];

export interface OidcRule {
  repository: string;
  ref?: string;
  workflow?: string;
  job_workflow_ref?: string;
  environment?: string;
  role: OidcRole;
  envs: string[];
}

/**
 * Matching: a pattern equals the claim exactly, except that `*` stands for any run of characters
 * (including `/`), so `refs/heads/release/*` matches every release branch and `acme/*` every repository of
 * acme. `repository` compares case-insensitively, as GitHub's owner and repository names do. A rule that
 * names a claim the token lacks (`environment` on a job without one) does not match.
 */
export function globMatches(pattern: string, value: string | undefined, ignoreCase = false): boolean {
  if (value === undefined) return false;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** The first rule whose every named claim matches; undefined when none does. */
export function matchRule(rules: readonly OidcRule[], claims: GithubClaims): OidcRule | undefined {
  return rules.find((rule) =>
    MATCHED_CLAIMS.every((claim) => {
      const pattern = rule[claim];
      return pattern === undefined || globMatches(pattern, claims[claim], claim === 'repository');
    }),
  );
}

/** Words for the 403 when no rule matches: which identity asked, never a hint of the rules themselves. */
export function describeIdentity(claims: GithubClaims): string {
  const parts = [`repository ${claims.repository}`];
  if (claims.ref) parts.push(`ref ${claims.ref}`);
  if (claims.workflow) parts.push(`workflow ${claims.workflow}`);
  if (claims.environment) parts.push(`environment ${claims.environment}`);
  return parts.join(', ');
}

/** `FERRY_OIDC_RULES`: a JSON array of `{repository, ref?, workflow?, job_workflow_ref?, environment?, role, envs}`. */
export function parseOidcRules(json: string | undefined): OidcRule[] {
  if (!json) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ValidationError('OIDC rules: not valid JSON');
  }
  if (!Array.isArray(parsed)) throw new ValidationError('OIDC rules: must be a JSON array');
  return parsed.map((entry, i) => {
    try {
      return parseOidcRule(entry);
    } catch (error) {
      throw new ValidationError(`OIDC rules[${i}]: ${(error as Error).message}`);
    }
  });
}

export function parseOidcRule(value: unknown): OidcRule {
  if (!isPlainObject(value)) invalid('', 'must be an object');
  const f = knownFields(value, '', [...MATCHED_CLAIMS, 'role', 'envs'] as const);
  const repository = requiredString(f.repository, 'repository', 200);
  if (!/^[^/\s]+\/[^/\s]+$/.test(repository))
    invalid('repository', `must be owner/name, got "${repository}"`);
  const rule: OidcRule = {
    repository,
    role: oneOf(requiredString(f.role, 'role'), 'role', OIDC_ROLES),
    envs: parseEnvs(f.envs),
  };
  for (const claim of ['ref', 'workflow', 'job_workflow_ref', 'environment'] as const) {
    const pattern = optionalString(f[claim], claim, 400);
    if (pattern !== undefined) rule[claim] = pattern;
  }
  return rule;
}

function parseEnvs(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) invalid('envs', 'must list at least one environment');
  return value.map((env, i) => {
    const name = requiredString(env, join('envs', i), 63);
    if (!isDnsLabel(name)) invalid(join('envs', i), `must be a DNS-1123 label, got "${name}"`);
    return name;
  });
}
