import { describe, expect, it } from 'vitest';
import { cleanupTargets } from '../../lib/app/cleanup.ts';
import type { Artifact } from '../../lib/domain/artifact.ts';
import {
  type AutoRelease,
  autoReleaseConflict,
  type PolicyRule,
  parseInstallRestrictions,
  parsePolicy,
  parsePromotionChain,
  restrictionBlocking,
} from '../../lib/domain/policy-rules.ts';

const prod: PolicyRule = {
  kind: 'branch-restriction',
  id: 'branch-restriction.prod.*',
  env: 'prod',
  branch: '^main$',
  source: 'install',
};
const auto = (branch: string): AutoRelease => ({
  kind: 'auto-release',
  id: 'x',
  app: 'web',
  env: 'prod',
  branch,
  source: 'api',
});

describe('API policies', () => {
  it('parses both kinds with stable ids, naming bad fields', () => {
    expect(parsePolicy({ kind: 'auto-release', app: 'web', env: 'dev', branch: 'develop' })).toMatchObject({
      id: 'auto-release.web.dev',
    });
    expect(parsePolicy({ kind: 'branch-restriction', env: 'prod', branch: '^main$' })).toMatchObject({
      id: 'branch-restriction.prod.*',
    });
    expect(() => parsePolicy({ kind: 'nope', branch: 'x' })).toThrow(
      'kind: must be one of auto-release, branch-restriction',
    );
    expect(() => parsePolicy({ kind: 'auto-release', app: '../x', env: 'dev', branch: 'b' })).toThrow(
      /app: must be a DNS-1123 label/,
    );
    expect(() => parsePolicy({ kind: 'branch-restriction', env: 'prod', branch: '(a+)+' })).toThrow(
      /branchRegex/,
    );
    expect(() => parsePolicy({ kind: 'auto-release', app: 'web', env: 'dev' })).toThrow(
      'branch: is required',
    );
  });

  it('names the restriction a branch breaks, and lets allowed branches through', () => {
    expect(restrictionBlocking([prod], 'prod', 'web', 'main')).toBeUndefined();
    expect(restrictionBlocking([prod], 'staging', 'web', 'feature/x')).toBeUndefined();
    expect(restrictionBlocking([prod], 'prod', 'web', 'feature/x')).toBe(
      'blocked by branch-restriction prod: ^main$ (branch feature/x)',
    );
    expect(restrictionBlocking([prod], 'prod', 'web', undefined)).toBe(
      'blocked by branch-restriction prod: ^main$ (the artifact has no branch)',
    );
  });

  it('refuses an auto-release a restriction forbids, and a pattern under a restriction', () => {
    expect(autoReleaseConflict([prod], auto('main'))).toBeUndefined();
    expect(autoReleaseConflict([prod], auto('develop'))).toContain(
      'blocked by branch-restriction prod: ^main$',
    );
    expect(autoReleaseConflict([prod], auto('release/*'))).toContain('must name one branch');
    expect(autoReleaseConflict([], auto('release/*'))).toBeUndefined();
  });

  it('reads install restrictions and the promotion chain, naming problems', () => {
    expect(parseInstallRestrictions('[{"env":"prod","branch":"^main$"}]')).toEqual([{ ...prod }]);
    expect(() => parseInstallRestrictions('{')).toThrow('not valid JSON');
    expect(() => parseInstallRestrictions('[{"env":"prod"}]')).toThrow(
      'branch restrictions[0]: branch: is required',
    );
    expect(parsePromotionChain(' dev, staging ,production')).toEqual(['dev', 'staging', 'production']);
    expect(() => parsePromotionChain('dev,dev')).toThrow('repeats');
    expect(() => parsePromotionChain('dev,Prod')).toThrow('"Prod" is not a DNS-1123 label');
  });
});

describe('cleanupTargets', () => {
  const artifact = {
    id: 'acme/shop-1',
    created: 0,
    version: { repositoryName: 'acme/shop', sha: 'a'.repeat(40), event: 'pr', branch: 'feature/x' },
    context: {},
    vars: {},
    items: [],
    environments: [
      { app: 'shop', env: 'preview', preview: true, manifests: 'a: b' },
      {
        app: 'api-{{ .BRANCH | sanitizeDNSName }}',
        env: 'qa',
        cleanup: { app: 'api-{{ .BRANCH | sanitizeDNSName }}', event: 'branchDeleted', branch: 'feature/*' },
        manifests: 'a: b',
      },
      { app: 'web', env: 'staging', manifests: 'a: b' },
    ],
  } as unknown as Artifact;

  it('names each preview and each matching cleanup policy app for the deleted branch', () => {
    expect(cleanupTargets(artifact, 'feature/x')).toEqual([
      { env: 'preview', app: 'shop-feature-x', preview: true },
      { env: 'qa', app: 'api-feature-x', preview: false },
    ]);
    expect(cleanupTargets(artifact, 'main')).toEqual([{ env: 'preview', app: 'shop-main', preview: true }]);
  });
});
