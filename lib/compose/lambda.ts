import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { makeDynamoArtifactStore } from '../adapters/dynamodb/artifact-store.ts';
import { makeDynamoAuditLog } from '../adapters/dynamodb/audit-log.ts';
import { makeDynamoUserStore } from '../adapters/dynamodb/user-store.ts';
import { makeSecretsManagerAdminCredential } from '../adapters/secrets/admin-credential.ts';
import { makeAuthenticator } from '../app/authenticate.ts';
import { type ApiDeps, systemClock } from '../app/deps.ts';
import { loadLambdaConfig } from '../config/env.ts';
import type { HttpEvent, HttpResult, LambdaHttpHandler } from '../http/types.ts';
import { makeLogger } from '../log/logger.ts';

/** The Lambda composition root: adapters built once per cold start from the environment. */
export function lambdaApiDeps(env: NodeJS.ProcessEnv = process.env): ApiDeps {
  const config = loadLambdaConfig(env);
  const dynamo = new DynamoDBClient({});
  const clock = systemClock;
  const users = makeDynamoUserStore(dynamo, config.tableName);
  const admin = makeSecretsManagerAdminCredential(new SecretsManagerClient({}), config.adminSecretId, clock);
  return {
    artifacts: makeDynamoArtifactStore(dynamo, config.tableName),
    users,
    audit: makeDynamoAuditLog(dynamo, config.tableName),
    authenticator: makeAuthenticator(users, clock, admin),
    clock,
    logger: makeLogger(),
  };
}

/** Builds the handler on the first invocation, so importing a function module has no side effects. */
export function onColdStart(make: (deps: ApiDeps) => LambdaHttpHandler): LambdaHttpHandler {
  let built: LambdaHttpHandler | undefined;
  return (event: HttpEvent, context: Context): Promise<HttpResult> => {
    built ??= make(lambdaApiDeps());
    return built(event, context);
  };
}
