import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/domain/errors.ts';
import { globMatches, matchRule, type OidcRule, parseOidcRules } from '../../lib/domain/oidc-rules.ts';

const rules: OidcRule[] = [
  {
    repository: 'acme/web',
    ref: 'refs/heads/main',
    environment: 'production',
    role: 'deployer',
    envs: ['production'],
  },
  { repository: 'acme/web', ref: 'refs/heads/main', role: 'ci', envs: ['staging'] },
  { repository: 'acme/*', ref: 'refs/heads/release/*', role: 'viewer', envs: ['staging'] },
];

describe('OIDC rule matching', () => {
  it('takes the first rule whose named claims all match', () => {
    expect(
      matchRule(rules, { repository: 'acme/web', ref: 'refs/heads/main', environment: 'production' })?.role,
    ).toBe('deployer');
    expect(matchRule(rules, { repository: 'acme/web', ref: 'refs/heads/main' })?.envs).toEqual(['staging']);
  });

  it('a rule naming a claim the token lacks does not match', () => {
    expect(
      matchRule([rules[0] as OidcRule], { repository: 'acme/web', ref: 'refs/heads/main' }),
    ).toBeUndefined();
  });

  it('globs: * spans slashes; repository ignores case; everything else is exact', () => {
    expect(matchRule(rules, { repository: 'ACME/api', ref: 'refs/heads/release/1.2/x' })?.role).toBe(
      'viewer',
    );
    expect(matchRule(rules, { repository: 'acme/web', ref: 'refs/heads/Main' })).toBeUndefined();
    expect(matchRule(rules, { repository: 'evil/web', ref: 'refs/heads/main' })).toBeUndefined();
    expect(matchRule(rules, { repository: 'acme/web', ref: 'refs/heads/main-evil' })).toBeUndefined();
    expect(globMatches('a.b', 'aXb')).toBe(false);
    expect(globMatches('acme/web', 'acme/web/extra')).toBe(false);
  });

  it('parses FERRY_OIDC_RULES and names what is wrong', () => {
    expect(parseOidcRules(JSON.stringify(rules))).toEqual(rules);
    expect(parseOidcRules(undefined)).toEqual([]);
    expect(() => parseOidcRules('{')).toThrow(ValidationError);
    expect(() => parseOidcRules('[{"repository":"acme/web","role":"admin","envs":["x"]}]')).toThrow(
      /rules\[0\].*role/,
    );
    expect(() => parseOidcRules('[{"repository":"acme","role":"ci","envs":["x"]}]')).toThrow(/owner\/name/);
    expect(() => parseOidcRules('[{"repository":"a/b","role":"ci","envs":[]}]')).toThrow(/envs/);
    expect(() => parseOidcRules('[{"repository":"a/b","role":"ci","envs":["x"],"branch":"main"}]')).toThrow(
      /unknown field/,
    );
  });
});
