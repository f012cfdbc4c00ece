import { ForbiddenError } from './errors.ts';
import { hasTemplate } from './names.ts';

export const ROLES = ['admin', 'deployer', 'ci', 'flux', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export type Action =
  | 'artifact:read'
  | 'artifact:write'
  | 'release:read'
  | 'release:write'
  | 'flux:event'
  | 'env:manage'
  | 'user:manage'
  | 'audit:read';

const GRANTS: Record<Role, readonly Action[]> = {
  admin: [
    'artifact:read',
    'artifact:write',
    'release:read',
    'release:write',
    'flux:event',
    'env:manage',
    'user:manage',
    'audit:read',
  ],
  deployer: ['artifact:read', 'release:read', 'release:write'],
  ci: ['artifact:read', 'artifact:write', 'release:read', 'release:write'],
  flux: ['flux:event'],
  viewer: ['artifact:read', 'release:read'],
};

/** What a role may do; the dashboard offers only these actions (the API still checks each call). */
export function grantsOf(role: Role): readonly Action[] {
  return GRANTS[role];
}

/** Who is calling: resolved from a token on every request. */
export interface Principal {
  login: string;
  role: Role;
  /** When set, the token may only act on these environments. */
  environments?: string[];
  /** Public identifier of the token used (never the token): goes into audit records. */
  tokenId: string;
}

/**
 * Actions over the whole install (users and their tokens, the audit log, environment set-up and branch
 * restrictions): a token limited to environments may never take them, whatever its role, so a limit can
 * never be widened by the token it limits (no minting unscoped tokens, no reading or replacing another
 * user's token, no re-pointing another environment's Flux notifications).
 */
const INSTALL_WIDE: readonly Action[] = ['user:manage', 'audit:read', 'env:manage'];

/** App names that are Flux's own or Ferry's `<env>/flux/` scaffolding: platform admins only, every verb. */
export const SCAFFOLDING_APPS: readonly string[] = ['flux', 'flux-system'];

/**
 * Refuses with 403 unless the role grants `action` and every environment touched is in the token's scope.
 * A templated environment name cannot be proven in scope before rendering, so a scoped token is refused.
 */
export function authorize(principal: Principal, action: Action, environments: readonly string[] = []): void {
  if (!GRANTS[principal.role].includes(action)) {
    throw new ForbiddenError(`role ${principal.role} may not ${action.replace(':', ' ')}`);
  }
  const scope = principal.environments;
  if (!scope) return;
  if (INSTALL_WIDE.includes(action)) {
    throw new ForbiddenError(
      `token of ${principal.login} is limited to environments ${scope.join(', ')}; ${action.replace(':', ' ')} is install-wide`,
    );
  }
  const outside = environments.find((env) => hasTemplate(env) || !scope.includes(env));
  if (outside !== undefined) {
    throw new ForbiddenError(
      `token of ${principal.login} is limited to environments ${scope.join(', ')}; "${outside}" is outside`,
    );
  }
}

/** A change to `<env>/<app>`: the scaffolding apps additionally need `env:manage` (admins). */
export function authorizeApp(principal: Principal, action: Action, env: string, app: string): void {
  authorize(principal, action, [env]);
  if (SCAFFOLDING_APPS.includes(app)) authorize(principal, 'env:manage', [env]);
}

/** Whether the token may see what concerns `env` (listings are narrowed to these). */
export function canSee(principal: Principal, env: string): boolean {
  return !principal.environments || principal.environments.includes(env);
}
