import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AdminCredential, Clock } from '../../app/ports.ts';
import { hashToken, sameHash } from '../../app/tokens.ts';

export class AdminSecretError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdminSecretError';
  }
}

/**
 * The admin token as a Secrets Manager secret (plain SecretString). Only its hash is kept in memory, and
 * for a few minutes at most, so a rotated secret takes effect without a redeploy.
 */
export function makeSecretsManagerAdminCredential(
  client: SecretsManagerClient,
  secretId: string,
  clock: Clock,
  cacheMs = 5 * 60_000,
): AdminCredential {
  let cached: { hash: string; until: number } | undefined;

  async function currentHash(): Promise<string> {
    const now = clock.now().getTime();
    if (cached && cached.until > now) return cached.hash;
    let secret: string | undefined;
    try {
      secret = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
    } catch (error) {
      throw new AdminSecretError('cannot read the admin token secret', { cause: error });
    }
    if (!secret) throw new AdminSecretError('the admin token secret has no string value');
    cached = { hash: hashToken(secret.trim()), until: now + cacheMs };
    return cached.hash;
  }

  return {
    async matches(tokenHash) {
      return sameHash(await currentHash(), tokenHash);
    },
  };
}
