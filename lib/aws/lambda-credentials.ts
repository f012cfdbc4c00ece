/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias set by
 * cdk/ferry-function.ts; local runs and tests use the real package).
 *
 * Why: every SDK client statically imports that package's `defaultProvider`, and esbuild without code
 * splitting inlines the whole chain behind it (SSO, ini files, credential_process, web identity, the
 * IMDS/container endpoints, and @aws-sdk/nested-clients for STS/SSO/sign-in): ~130 KB of minified code in
 * every bundle.
 * On Lambda the runtime puts the execution role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, and the chain's first link (`fromEnv`) always answers; the rest is never reached.
 *
 * Not for SnapStart or other setups that hand out credentials through AWS_CONTAINER_CREDENTIALS_FULL_URI
 * instead: there the missing variables fail the first AWS call with a message naming them.
 */
import { ENV_KEY, ENV_SECRET, type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { ConfigError } from '../domain/errors.ts';

export class LambdaCredentialsError extends ConfigError {
  constructor(missing: string[]) {
    super(
      missing.join(' and '),
      'not set: the Lambda bundles read AWS credentials only from the environment ' +
        '(lib/aws/lambda-credentials.ts replaces the SDK default provider chain)',
    );
  }
}

/**
 * Same contract as the SDK's `defaultProvider`: clients call it once with their config and call the
 * returned provider before signing. The variables are read on each call, as `fromEnv` does.
 */
export const defaultProvider = (init: FromEnvInit = {}): AwsCredentialIdentityProvider => {
  const fromEnvironment = fromEnv(init);
  return async (identityProperties) => {
    const missing = [ENV_KEY, ENV_SECRET].filter((name) => !process.env[name]);
    if (missing.length > 0) throw new LambdaCredentialsError(missing);
    return fromEnvironment(identityProperties);
  };
};
