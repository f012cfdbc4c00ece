import { describe, expect, it } from 'vitest';
import type { Version } from '../../lib/domain/artifact.ts';
import { ValidationError } from '../../lib/domain/errors.ts';
import type { CleanupPolicy, DeployPolicy } from '../../lib/domain/manifest.ts';
import {
  describeRestriction,
  evaluateCleanup,
  evaluateDeploy,
  globMatch,
  parseBranchRestriction,
  restrictionAllows,
} from '../../lib/domain/policy.ts';

function version(fields: Partial<Version>): Version {
  return { repositoryName: 'acme/api', sha: 'abcdef1', event: 'push', ...fields };
}

const push = (branch?: string) => version({ event: 'push', branch });
const pr = (branch?: string, sourceBranch?: string) => version({ event: 'pr', branch, sourceBranch });
const tagged = (tag?: string) => version({ event: 'tag', branch: `refs/tags/${tag}`, tag });

describe('evaluateDeploy', () => {
  it.each<{ label: string; policy: DeployPolicy | undefined; artifact: Version; matched: boolean }>([
    // Branches and globs
    { label: 'exact branch', policy: { branch: 'main' }, artifact: push('main'), matched: true },
    {
      label: 'whole-string match only',
      policy: { branch: 'main' },
      artifact: push('mainline'),
      matched: false,
    },
    {
      label: '* within a segment',
      policy: { branch: 'feature/*' },
      artifact: push('feature/a'),
      matched: true,
    },
    {
      label: 'regression (gimletd): * does not cross /',
      policy: { branch: 'feature/*' },
      artifact: push('feature/a/b'),
      matched: false,
    },
    { label: '** crosses /', policy: { branch: 'feature/**' }, artifact: push('feature/a/b'), matched: true },
    {
      label: '** alone matches any branch',
      policy: { branch: '**' },
      artifact: push('fix/x/y'),
      matched: true,
    },
    {
      label: '* alone misses a branch with /',
      policy: { branch: '*' },
      artifact: push('feature/x'),
      matched: false,
    },
    {
      label: '? is one character',
      policy: { branch: 'release/?' },
      artifact: push('release/1'),
      matched: true,
    },
    { label: '? is not two', policy: { branch: 'release/?' }, artifact: push('release/10'), matched: false },
    { label: 'class range', policy: { branch: 'hotfix-[0-9]' }, artifact: push('hotfix-7'), matched: true },
    {
      label: 'class range misses',
      policy: { branch: 'hotfix-[0-9]' },
      artifact: push('hotfix-x'),
      matched: false,
    },
    { label: '. is literal', policy: { branch: 'release.1' }, artifact: push('releasex1'), matched: false },
    { label: '. matches a dot', policy: { branch: 'release.1' }, artifact: push('release.1'), matched: true },
    { label: '+ and ( are literal', policy: { branch: 'fix+(1)' }, artifact: push('fix+(1)'), matched: true },
    {
      label: 'negated branch: other',
      policy: { branch: '!main' },
      artifact: push('feature/x'),
      matched: true,
    },
    { label: 'negated branch: itself', policy: { branch: '!main' }, artifact: push('main'), matched: false },
    {
      label: 'negated glob keeps / semantics',
      policy: { branch: '!feature/*' },
      artifact: push('feature/a/b'),
      matched: true,
    },
    // Events with branches
    {
      label: 'regression (gimletd): branch without event deploys a push',
      policy: { branch: 'main' },
      artifact: push('main'),
      matched: true,
    },
    {
      label: 'branch without event: pr too',
      policy: { branch: 'feature/*' },
      artifact: pr('feature/x'),
      matched: true,
    },
    {
      label: 'branch without event: not tag',
      policy: { branch: '**' },
      artifact: tagged('v1'),
      matched: false,
    },
    {
      label: 'branch + event push: a pr misses',
      policy: { branch: 'main', event: 'push' },
      artifact: pr('main'),
      matched: false,
    },
    {
      label: 'branch + event pr: pr head branch',
      policy: { branch: 'feature/*', event: 'pr' },
      artifact: pr('feature/x', 'main'),
      matched: true,
    },
    {
      label: 'pr matches the head branch, not the base the GitHub shipper puts in sourceBranch',
      policy: { branch: 'main', event: 'pr' },
      artifact: pr('feature/x', 'main'),
      matched: false,
    },
    {
      label: 'pr without branch falls back to sourceBranch',
      policy: { branch: 'feature/*', event: 'pr' },
      artifact: pr(undefined, 'feature/x'),
      matched: true,
    },
    {
      label: 'empty artifact branch never matches',
      policy: { branch: 'main' },
      artifact: push(''),
      matched: false,
    },
    {
      label: 'missing branch never matches a negation',
      policy: { branch: '!main' },
      artifact: push(undefined),
      matched: false,
    },
    // Tags
    { label: 'tag glob', policy: { tag: 'v*' }, artifact: tagged('v1.2.3'), matched: true },
    { label: 'tag v1.*', policy: { tag: 'v1.*' }, artifact: tagged('v1.2.3'), matched: true },
    { label: 'tag v1.* misses v2', policy: { tag: 'v1.*' }, artifact: tagged('v2.0.0'), matched: false },
    {
      label: 'regression (gimletd): tag without event deploys a tag',
      policy: { tag: 'v*' },
      artifact: tagged('v1.0.0'),
      matched: true,
    },
    { label: 'tag + event tag', policy: { tag: 'v*', event: 'tag' }, artifact: tagged('v1'), matched: true },
    {
      label: 'regression (gimletd): !v* does not deploy v1.2.3',
      policy: { tag: '!v*' },
      artifact: tagged('v1.2.3'),
      matched: false,
    },
    { label: 'negated tag: other tag', policy: { tag: '!v*' }, artifact: tagged('release-1'), matched: true },
    {
      label: 'regression (gimletd): empty tag does not match a tag policy',
      policy: { tag: 'v*', event: 'tag' },
      artifact: version({ event: 'tag', tag: '' }),
      matched: false,
    },
    {
      label: 'missing tag never matches a negation',
      policy: { tag: '!foo' },
      artifact: version({ event: 'tag' }),
      matched: false,
    },
    {
      label: 'tag policy needs a tag event',
      policy: { tag: 'v*' },
      artifact: version({ event: 'push', branch: 'main', tag: 'v1' }),
      matched: false,
    },
    // Events alone
    { label: 'event push alone: push', policy: { event: 'push' }, artifact: push('any'), matched: true },
    {
      label: 'event push alone: tag misses',
      policy: { event: 'push' },
      artifact: tagged('v1'),
      matched: false,
    },
    { label: 'event pr alone: pr', policy: { event: 'pr' }, artifact: pr('x'), matched: true },
    { label: 'event tag alone: tag', policy: { event: 'tag' }, artifact: tagged('anything'), matched: true },
    // No or empty policy
    { label: 'no policy never deploys', policy: undefined, artifact: push('main'), matched: false },
    { label: 'empty policy never deploys', policy: {}, artifact: push('main'), matched: false },
    {
      label: 'empty strings are unset: all-empty policy never deploys',
      policy: { branch: '', tag: '' },
      artifact: push(''),
      matched: false,
    },
    {
      label: 'empty branch pattern is unset: event alone decides',
      policy: { branch: '', event: 'push' },
      artifact: push('feature/x'),
      matched: true,
    },
    {
      label: 'empty tag pattern is unset: event alone decides',
      policy: { tag: '', event: 'tag' },
      artifact: tagged('v9'),
      matched: true,
    },
    {
      label: 'branch and tag together never hold (branch builds are not tags)',
      policy: { branch: '**', tag: 'v*' },
      artifact: tagged('v1'),
      matched: false,
    },
  ])('$label', ({ policy, artifact, matched }) => {
    expect(evaluateDeploy(policy, artifact).matched).toBe(matched);
  });

  it('explains a match with the branch and the pattern', () => {
    expect(evaluateDeploy({ branch: 'main' }, push('main'))).toEqual({
      matched: true,
      reasons: ['branch main matches "main"'],
    });
  });

  it('names each condition that failed', () => {
    const decision = evaluateDeploy(
      { branch: '*', event: 'push' },
      version({ event: 'tag', branch: 'feature/x' }),
    );
    expect(decision).toEqual({
      matched: false,
      reasons: ['event tag ≠ push', 'branch feature/x does not match "*"'],
    });
  });

  it('explains tags, missing tags, implied events and empty policies', () => {
    expect(evaluateDeploy({ tag: 'v*' }, tagged('v1.2.3')).reasons).toEqual(['tag v1.2.3 matches "v*"']);
    expect(evaluateDeploy({ tag: 'v*' }, version({ event: 'tag' })).reasons).toEqual([
      'no tag on this artifact (tag policy "v*")',
    ]);
    expect(evaluateDeploy({ tag: 'v*' }, push('main')).reasons).toEqual([
      'event push ≠ tag (tag policy "v*")',
      'no tag on this artifact (tag policy "v*")',
    ]);
    expect(evaluateDeploy({ branch: 'main' }, tagged('v1')).reasons).toEqual([
      'event tag is not push or pr (branch policy "main")',
      'branch refs/tags/v1 does not match "main"',
    ]);
    expect(evaluateDeploy({ event: 'pr' }, pr('x')).reasons).toEqual(['event pr = pr']);
    expect(evaluateDeploy(undefined, push('main')).reasons).toEqual(['no deploy policy']);
    expect(evaluateDeploy({ branch: '' }, push('main')).reasons).toEqual([
      'deploy policy sets no branch, tag or event',
    ]);
  });

  it('says which field a pr branch was read from', () => {
    expect(evaluateDeploy({ branch: 'feature/*' }, pr(undefined, 'feature/x')).reasons).toEqual([
      'source branch feature/x matches "feature/*"',
    ]);
    expect(evaluateDeploy({ branch: 'main' }, pr(undefined, undefined)).reasons).toEqual([
      'no branch on this artifact (branch policy "main")',
    ]);
  });
});

describe('globMatch', () => {
  it.each([
    ['', '', true],
    ['', 'main', false],
    ['!', 'main', true],
    ['!', '', false],
    ['!!main', '!main', false],
    ['!!main', 'main', true],
    ['***', 'a/b/c', true],
    ['a/**/b', 'a/x/y/b', true],
    ['*.yaml', 'x.yaml', true],
    ['[!a-c]x', 'dx', true],
    ['[!a-c]x', 'bx', false],
    ['[^a-c]x', 'dx', true],
    ['[]]', ']', true],
    ['[a-', '[a-', true],
    ['f?o', 'f/o', false],
    ['[/]', '/', false],
    ['a\\b', 'a\\b', true],
    ['é?', 'é😀', true],
  ])('globMatch(%j, %j) is %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });

  it('stays linear on patterns that make a backtracking RegExp hang', () => {
    // A RegExp compiled from this pattern takes minutes on a branch this long; the test would time out.
    expect(globMatch('*a*a*a*a*a*b', 'a'.repeat(5000))).toBe(false);
    expect(globMatch('**a**a**a**a**b', `${'a/'.repeat(2500)}b`)).toBe(true);
  });
});

describe('evaluateCleanup', () => {
  const cleanup = (branch: string): CleanupPolicy => ({ app: 'preview', event: 'branchDeleted', branch });

  it.each([
    { label: 'glob matches the deleted branch', branch: 'feature/*', deleted: 'feature/x', matched: true },
    { label: '* does not cross /', branch: 'feature/*', deleted: 'feature/a/b', matched: false },
    { label: 'regression (gimletd): !main spares main', branch: '!main', deleted: 'main', matched: false },
    { label: '!main cleans other branches', branch: '!main', deleted: 'feature/x', matched: true },
    { label: 'empty deleted branch never matches', branch: '!main', deleted: '', matched: false },
    { label: 'empty policy branch never matches', branch: '', deleted: 'feature/x', matched: false },
  ])('$label', ({ branch, deleted, matched }) => {
    expect(evaluateCleanup(cleanup(branch), deleted).matched).toBe(matched);
  });

  it('explains its decision', () => {
    expect(evaluateCleanup(cleanup('feature/*'), 'feature/x').reasons).toEqual([
      'deleted branch feature/x matches "feature/*"',
    ]);
    expect(evaluateCleanup(undefined, 'feature/x')).toEqual({
      matched: false,
      reasons: ['no cleanup policy'],
    });
  });

  it('refuses an event other than branchDeleted', () => {
    const policy = { ...cleanup('**'), event: 'prClosed' } as unknown as CleanupPolicy;
    expect(evaluateCleanup(policy, 'feature/x')).toEqual({
      matched: false,
      reasons: ['event branchDeleted ≠ prClosed'],
    });
  });
});

describe('branch restrictions', () => {
  it.each([
    ['^main$', 'main', true],
    ['^main$', 'main2', false],
    ['^main', 'main-hotfix', true],
    ['^(main|release/.*)$', 'release/2024-01', true],
    ['^(main|release/.*)$', 'feature/x', false],
    ['^v[0-9]+\\.[0-9]+\\.[0-9]+$', 'v1.2.3', true],
    ['^main$', undefined, false],
    ['^.*$', '', false],
  ])('restrictionAllows(%j, %j) is %s', (regex, branch, allowed) => {
    expect(restrictionAllows(regex, branch)).toBe(allowed);
  });

  it.each([
    ['', /branchRegex: is required/],
    [`^${'a'.repeat(200)}$`, /at most 200 characters/],
    ['^(main', /not a valid regular expression/],
    ['main$', /must start with \^/],
    ['^main|release', /alternatives in a group/],
    ['^(a+)+$', /must not repeat a group/],
    ['^(a|aa)*$', /must not repeat a group/],
    ['^((ab)*c){2,}$', /must not repeat a group/],
    ['^(.)\\1$', /backreferences/],
    ['^(?=main)', /lookahead/],
    ['^(?i)main$', /Go syntax/],
    ['^(?P<name>main)$', /Go syntax/],
    ['^[[:alpha:]]+$', /POSIX classes/],
    ['^.*.*.*.*x', /4 unbounded quantifiers/],
  ])('rejects %j', (regex, message) => {
    expect(() => parseBranchRestriction(regex)).toThrow(ValidationError);
    expect(() => parseBranchRestriction(regex)).toThrow(message);
  });

  it('accepts bounded repetition, lazy quantifiers and named groups', () => {
    expect(parseBranchRestriction('^(?<kind>feature|fix)/[a-z]{1,3}(-x)?.*?$').test('fix/ab-x')).toBe(true);
    expect(parseBranchRestriction('^release-{1}$').test('release-')).toBe(true);
  });

  it('refuses an invalid stored restriction at evaluation too', () => {
    expect(() => restrictionAllows('^(a+)+$', 'aaaa')).toThrow(ValidationError);
  });

  it('describes a restriction for an environment or one app in it', () => {
    expect(describeRestriction({ env: 'prod', branchRegex: '^main$' })).toBe(
      'branch-restriction prod: ^main$',
    );
    expect(describeRestriction({ env: 'prod', app: 'api', branchRegex: '^main$' })).toBe(
      'branch-restriction prod/api: ^main$',
    );
  });
});
