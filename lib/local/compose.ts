import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeHandler as artifactsHandler } from '../../functions/http-artifacts.ts';
import { makeHandler as healthHandler } from '../../functions/http-health.ts';
import { makeHandler as usersHandler } from '../../functions/http-users.ts';
import { makeDynamoArtifactStore } from '../adapters/dynamodb/artifact-store.ts';
import { makeDynamoAuditLog } from '../adapters/dynamodb/audit-log.ts';
import { makeDynamoUserStore } from '../adapters/dynamodb/user-store.ts';
import { makeAuthenticator } from '../app/authenticate.ts';
import { type ApiDeps, systemClock } from '../app/deps.ts';
import type { Clock } from '../app/ports.ts';
import { API_FUNCTIONS, type ApiFunction } from '../http/routes.ts';
import type { LambdaHttpHandler } from '../http/types.ts';
import type { Logger } from '../log/logger.ts';

/**
 * The local composition root: the same adapters as on Lambda, pointed at DynamoDB Local. The admin is an
 * ordinary user in the table here (there is no Secrets Manager locally).
 */
export function localApiDeps(options: {
  dynamo: DynamoDBClient;
  tableName: string;
  logger: Logger;
  clock?: Clock;
}): ApiDeps {
  const clock = options.clock ?? systemClock;
  const users = makeDynamoUserStore(options.dynamo, options.tableName);
  return {
    artifacts: makeDynamoArtifactStore(options.dynamo, options.tableName),
    users,
    audit: makeDynamoAuditLog(options.dynamo, options.tableName),
    authenticator: makeAuthenticator(users, clock),
    clock,
    logger: options.logger,
  };
}

const FACTORIES: Record<ApiFunction, (deps: ApiDeps) => LambdaHttpHandler> = {
  'http-health': healthHandler,
  'http-artifacts': artifactsHandler,
  'http-users': usersHandler,
};

export function apiHandlers(deps: ApiDeps): Record<ApiFunction, LambdaHttpHandler> {
  return Object.fromEntries(API_FUNCTIONS.map((fn) => [fn, FACTORIES[fn](deps)])) as Record<
    ApiFunction,
    LambdaHttpHandler
  >;
}
