import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../../app/ports.ts';
import { FerryError, isRetryable } from '../../domain/errors.ts';

/** Secrets Manager did not hand out a secret; retryable when the SDK error was (throttling, 5xx, network). */
export class SecretReadError extends FerryError {
  readonly code = 'secret_unreadable';
}

/**
 * A Secrets Manager string secret, re-read every few minutes so a rotation applies without a redeploy.
 * Resolves to undefined while the secret is empty (a platform team has not filled it in yet).
 */
export function makeCachedSecret(
  client: SecretsManagerClient,
  secretId: string,
  clock: Clock,
  cacheMs = 5 * 60_000,
): () => Promise<string | undefined> {
  let cached: { value: string | undefined; until: number } | undefined;
  return async () => {
    const now = clock.now().getTime();
    if (cached && cached.until > now) return cached.value;
    let secret: string | undefined;
    try {
      secret = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
    } catch (error) {
      throw new SecretReadError(`cannot read secret ${secretId}`, {
        cause: error,
        retryable: isRetryable(error),
      });
    }
    cached = { value: secret?.trim() || undefined, until: now + cacheMs };
    return cached.value;
  };
}
