import type { Version } from './artifact.ts';
import type { CleanupPolicy, DeployPolicy } from './manifest.ts';
import { globMatch } from './policy/glob.ts';

export { globMatch } from './policy/glob.ts';
export {
  type BranchRestriction,
  describeRestriction,
  MAX_RESTRICTION_LENGTH,
  parseBranchRestriction,
  restrictionAllows,
} from './policy/restriction.ts';

/** Whether a policy fires, and why, in words a dry run can print as they are. */
export interface PolicyDecision {
  matched: boolean;
  reasons: string[];
}

interface Check {
  ok: boolean;
  reason: string;
}

/**
 * Whether an artifact's commit deploys under a manifest's `deploy` policy. Every condition that is set must
 * hold: `event` equals the artifact's event; `tag` needs a tag event and a tag matching the glob; `branch`
 * needs a push or pr event and a branch matching the glob. Empty strings count as unset (Gimlet's Go client
 * writes unset fields as ""), and a policy that sets nothing never deploys. A missing branch or tag never
 * matches, not even a negated pattern: `!main` means "another branch", not "no branch at all".
 */
export function evaluateDeploy(policy: DeployPolicy | undefined, version: Version): PolicyDecision {
  if (!policy) return { matched: false, reasons: ['no deploy policy'] };
  const branch = present(policy.branch);
  const tag = present(policy.tag);
  const event = present(policy.event);
  if (branch === undefined && tag === undefined && event === undefined) {
    return { matched: false, reasons: ['deploy policy sets no branch, tag or event'] };
  }
  const checks: Check[] = [];
  if (event !== undefined) {
    const ok = version.event === event;
    checks.push({ ok, reason: `event ${version.event} ${ok ? '=' : '≠'} ${event}` });
  }
  // Events a tag or branch implies: said only when they fail and an explicit event did not already.
  if (event === undefined || event === version.event) {
    if (tag !== undefined && version.event !== 'tag') {
      checks.push({ ok: false, reason: `event ${version.event} ≠ tag (tag policy "${tag}")` });
    }
    if (branch !== undefined && version.event === 'tag') {
      checks.push({ ok: false, reason: `event tag is not push or pr (branch policy "${branch}")` });
    }
  }
  if (branch !== undefined) checks.push(branchCheck(branch, version));
  if (tag !== undefined) {
    const value = present(version.tag);
    checks.push(
      value === undefined
        ? { ok: false, reason: `no tag on this artifact (tag policy "${tag}")` }
        : globCheck('tag', value, tag),
    );
  }
  return { matched: checks.every((c) => c.ok), reasons: checks.map((c) => c.reason) };
}

/**
 * For a pr the branch that matters is the PR's head (`feature/x`), and Gimlet's shippers put it in
 * `branch`: the GitHub shipper sets `branch` from GITHUB_HEAD_REF and `sourceBranch` from GITHUB_BASE_REF,
 * the *base* branch, so matching `sourceBranch` first would make `branch: main, event: pr` deploy every
 * PR opened against main. GimletD also matched `branch`. `sourceBranch` is read only when `branch` is
 * missing, and the reason then says "source branch".
 */
function branchCheck(pattern: string, version: Version): Check {
  const branch = present(version.branch);
  const source = version.event === 'pr' && branch === undefined ? present(version.sourceBranch) : undefined;
  if (source !== undefined) return globCheck('source branch', source, pattern);
  if (branch === undefined) {
    return { ok: false, reason: `no branch on this artifact (branch policy "${pattern}")` };
  }
  return globCheck('branch', branch, pattern);
}

/**
 * Whether a deleted branch (GitHub `delete` webhook, or a closed PR's head branch) removes the app named in
 * a manifest's `cleanup` policy. Same globs as deploy: GimletD kept the `!` when compiling a negated
 * cleanup branch, so `!main` deleted previews for every branch, main included.
 */
export function evaluateCleanup(policy: CleanupPolicy | undefined, deletedBranch: string): PolicyDecision {
  if (!policy) return { matched: false, reasons: ['no cleanup policy'] };
  const event: string | undefined = present(policy.event);
  if (event !== undefined && event !== 'branchDeleted') {
    return { matched: false, reasons: [`event branchDeleted ≠ ${event}`] };
  }
  const pattern = present(policy.branch);
  if (pattern === undefined) return { matched: false, reasons: ['cleanup policy sets no branch'] };
  if (deletedBranch === '') {
    return { matched: false, reasons: [`no deleted branch name (cleanup policy "${pattern}")`] };
  }
  const check = globCheck('deleted branch', deletedBranch, pattern);
  return { matched: check.ok, reasons: [check.reason] };
}

function globCheck(what: string, value: string, pattern: string): Check {
  const ok = globMatch(pattern, value);
  return { ok, reason: `${what} ${value} ${ok ? 'matches' : 'does not match'} "${pattern}"` };
}

function present<T extends string>(value: T | undefined): T | undefined {
  return value === '' ? undefined : value;
}
