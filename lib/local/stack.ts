import { join } from 'node:path';
import { ensureTable } from '../adapters/dynamodb/create-table.ts';
import type { ApiDeps } from '../app/deps.ts';
import { ROUTES } from '../http/routes.ts';
import type { Logger } from '../log/logger.ts';
import { apiHandlers, localApiDeps } from './compose.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.ts';
import { type LocalQueues, startLocalQueues } from './fauxqs.ts';
import { type LocalHttpServer, startLocalHttpServer } from './http-server.ts';

export const LOCAL_TABLE = 'ferry';

export interface LocalStack {
  deps: ApiDeps;
  dynamo: DynamoDbLocal;
  queues: LocalQueues;
  http: LocalHttpServer;
  stop(): Promise<void>;
}

/**
 * Starts every local stand-in and the API on one port. On a failure half-way, whatever already started
 * is stopped again so no child process outlives the call.
 */
export async function startLocalStack(options: {
  port: number;
  dataDir?: string;
  logger: Logger;
  host?: string;
}): Promise<LocalStack> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const dynamo = await startDynamoDbLocal(
      options.dataDir ? { dataDir: join(options.dataDir, 'dynamodb') } : {},
    );
    stops.push(dynamo.stop);
    await ensureTable(dynamo.client, LOCAL_TABLE);
    const queues = await startLocalQueues();
    stops.push(queues.stop);
    const deps = localApiDeps({ dynamo: dynamo.client, tableName: LOCAL_TABLE, logger: options.logger });
    const http = await startLocalHttpServer({
      port: options.port,
      ...(options.host ? { host: options.host } : {}),
      routes: ROUTES,
      handlers: apiHandlers(deps),
    });
    stops.push(http.close);
    return { deps, dynamo, queues, http, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
