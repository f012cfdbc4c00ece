import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AdminCredential, Clock } from '../../app/ports.ts';
import { hashToken, sameHash } from '../../app/tokens.ts';
import { makeCachedSecret, SecretReadError } from './cached-secret.ts';

/**
 * The admin token as a Secrets Manager secret (plain SecretString), cached for a few minutes so a rotated
 * secret takes effect without a redeploy.
 */
export function makeSecretsManagerAdminCredential(
  client: SecretsManagerClient,
  secretId: string,
  clock: Clock,
  cacheMs = 5 * 60_000,
): AdminCredential {
  const secret = makeCachedSecret(client, secretId, clock, cacheMs);
  return {
    async matches(tokenHash) {
      const value = await secret();
      if (!value) throw new SecretReadError('the admin token secret has no string value');
      return sameHash(hashToken(value), tokenHash);
    },
  };
}
