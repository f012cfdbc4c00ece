import { describe, expect, it } from 'vitest';
import { authorize, type Principal } from '../../lib/domain/access.ts';
import { ForbiddenError } from '../../lib/domain/errors.ts';

const as = (role: Principal['role'], environments?: string[]): Principal => ({
  login: 'x',
  role,
  tokenId: 'tok_x',
  ...(environments ? { environments } : {}),
});

describe('authorize', () => {
  it.each([
    ['ci', 'artifact:write'],
    ['ci', 'release:write'],
    ['deployer', 'release:write'],
    ['viewer', 'artifact:read'],
    ['flux', 'flux:event'],
    ['admin', 'user:manage'],
  ] as const)('lets %s %s', (role, action) => {
    expect(() => authorize(as(role), action)).not.toThrow();
  });

  it.each([
    ['viewer', 'artifact:write'],
    ['flux', 'artifact:read'],
    ['deployer', 'artifact:write'],
    ['ci', 'user:manage'],
    ['ci', 'flux:event'],
  ] as const)('refuses %s %s', (role, action) => {
    expect(() => authorize(as(role), action)).toThrow(ForbiddenError);
  });

  it('refuses an environment outside the token scope, naming it', () => {
    expect(() => authorize(as('ci', ['staging']), 'artifact:write', ['staging', 'production'])).toThrow(
      '"production" is outside',
    );
  });

  it('refuses a templated environment for a scoped token, since it cannot be proven in scope', () => {
    expect(() => authorize(as('ci', ['staging']), 'artifact:write', ['{{ .ENV }}'])).toThrow(ForbiddenError);
  });

  it('allows environments inside the scope', () => {
    expect(() => authorize(as('ci', ['staging', 'qa']), 'artifact:write', ['qa'])).not.toThrow();
  });
});
