import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeSecretsManagerAdminCredential } from '../../lib/adapters/secrets/admin-credential.ts';
import { SecretReadError } from '../../lib/adapters/secrets/cached-secret.ts';
import { makeAuthenticator } from '../../lib/app/authenticate.ts';
import type { UserStore } from '../../lib/app/ports.ts';
import { hashToken } from '../../lib/app/tokens.ts';
import { testClock } from '../support/api.ts';

const secretsMock = mockClient(SecretsManagerClient);
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ferry-admin-token-AbCdEf';

describe('Secrets Manager admin credential', () => {
  beforeEach(() => secretsMock.reset());

  it('matches the token stored in the secret and nothing else', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: 'the-admin-token\n' });
    const credential = makeSecretsManagerAdminCredential(new SecretsManagerClient({}), ARN, testClock());
    // Act / Assess
    expect(await credential.matches(hashToken('the-admin-token'))).toBe(true);
    expect(await credential.matches(hashToken('another-token'))).toBe(false);
  });

  it('reads the secret once per cache period, then again so a rotation takes effect', async () => {
    const clock = testClock(new Date('2026-01-01T00:00:00Z'));
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'old' })
      .resolves({ SecretString: 'new' });
    const credential = makeSecretsManagerAdminCredential(new SecretsManagerClient({}), ARN, clock, 60_000);
    expect(await credential.matches(hashToken('old'))).toBe(true);
    expect(await credential.matches(hashToken('old'))).toBe(true);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    clock.set(new Date('2026-01-01T00:01:01Z'));
    expect(await credential.matches(hashToken('old'))).toBe(false);
    expect(await credential.matches(hashToken('new'))).toBe(true);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('fails with a named error when the secret cannot be read or is empty', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'no such secret', $metadata: {} }))
      .resolves({ SecretBinary: new Uint8Array([1]) });
    const credential = makeSecretsManagerAdminCredential(new SecretsManagerClient({}), ARN, testClock());
    await expect(credential.matches(hashToken('x'))).rejects.toThrow(SecretReadError);
    await expect(credential.matches(hashToken('x'))).rejects.toThrow(
      'the admin token secret has no string value',
    );
  });

  it('lets the authenticator accept the secret as the admin, after the user table', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'the-admin-token' });
    const noUsers = { findGrant: async () => undefined } as unknown as UserStore;
    const credential = makeSecretsManagerAdminCredential(new SecretsManagerClient({}), ARN, testClock());
    const authenticator = makeAuthenticator(noUsers, testClock(), credential);
    expect(await authenticator.authenticate('the-admin-token')).toEqual({
      login: 'admin',
      role: 'admin',
      tokenId: 'admin-secret',
    });
    await expect(authenticator.authenticate('guess')).rejects.toThrow('invalid token');
  });
});
