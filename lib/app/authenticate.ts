import type { Principal } from '../domain/access.ts';
import { UnauthenticatedError } from '../domain/errors.ts';
import type { AdminCredential, Clock, UserStore } from './ports.ts';
import { hashToken } from './tokens.ts';

export const ADMIN_LOGIN = 'admin';
const MAX_TOKEN_LENGTH = 512;

export interface Authenticator {
  authenticate(token: string | undefined): Promise<Principal>;
}

/**
 * Resolves a presented token to a principal: first the user table (read strongly consistent, so a deleted
 * user's token fails on the very next call), then the admin credential kept outside it, if any.
 */
export function makeAuthenticator(users: UserStore, clock: Clock, admin?: AdminCredential): Authenticator {
  return {
    async authenticate(token) {
      if (!token) throw new UnauthenticatedError('missing token: send Authorization: Bearer <token>');
      if (token.length > MAX_TOKEN_LENGTH) throw new UnauthenticatedError('invalid token');
      const hash = hashToken(token);
      const grant = await users.findGrant(hash);
      if (grant) {
        if (grant.expiresAt !== undefined && Date.parse(grant.expiresAt) <= clock.now().getTime()) {
          throw new UnauthenticatedError(`token expired at ${grant.expiresAt}`);
        }
        const principal: Principal = { login: grant.login, role: grant.role, tokenId: grant.tokenId };
        if (grant.environments) principal.environments = grant.environments;
        return principal;
      }
      if (admin && (await admin.matches(hash))) {
        return { login: ADMIN_LOGIN, role: 'admin', tokenId: 'admin-secret' };
      }
      throw new UnauthenticatedError('invalid token');
    },
  };
}
