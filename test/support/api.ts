import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { ensureTable } from '../../lib/adapters/dynamodb/create-table.ts';
import type { ApiDeps } from '../../lib/app/deps.ts';
import type { Clock } from '../../lib/app/ports.ts';
import { bootstrapAdmin } from '../../lib/app/users.ts';
import { ROUTES, UI_FUNCTION } from '../../lib/http/routes.ts';
import { apiHandlers, localApiDeps, localUiHandler } from '../../lib/local/compose.ts';
import { localDynamoClient } from '../../lib/local/dynamodb-local.ts';
import { startLocalHttpServer } from '../../lib/local/http-server.ts';
import { makeLogger } from '../../lib/log/logger.ts';
import { type RequestOptions, requestJson } from './http.ts';

export interface TestApi {
  url: string;
  adminToken: string;
  deps: ApiDeps;
  tableName: string;
  /** Every log line the handlers wrote. */
  logs: string[];
  request(method: string, path: string, options?: RequestOptions): Promise<{ status: number; body: any }>;
  /** Creates a user through the API and returns its token. */
  userToken(login: string, extra?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** A settable clock for expiry tests; it ticks 1 ms per reading so records keep their order. */
export function testClock(start = new Date()): Clock & { set(d: Date): void } {
  let now = start.getTime();
  return {
    now: () => new Date(now++),
    set: (d) => {
      now = d.getTime();
    },
  };
}

/**
 * The real handlers behind the local HTTP translation, on a fresh table in the run's DynamoDB Local.
 */
export async function startTestApi(options: { clock?: Clock } = {}): Promise<TestApi> {
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const tableName = `t-${randomUUID()}`;
  await ensureTable(dynamo, tableName);
  const logs: string[] = [];
  const deps: ApiDeps = {
    ...localApiDeps({
      dynamo,
      tableName,
      gitops: { url: 'http://127.0.0.1:9/unused.git', branch: 'main', cacheDir: '/nonexistent' },
      logger: makeLogger((line) => logs.push(line)),
      ...(options.clock ? { clock: options.clock } : {}),
    }),
    // No writer runs behind this API: a delete answers at once instead of waiting for one.
    deleteWaitMs: 0,
  };
  const http = await startLocalHttpServer({
    port: 0,
    routes: ROUTES,
    handlers: { ...apiHandlers(deps), [UI_FUNCTION]: localUiHandler(deps) },
  });
  const adminToken = await bootstrapAdmin(deps.users, deps.clock);
  if (!adminToken) throw new Error('fresh table already had an admin');

  const request: TestApi['request'] = (method, path, opts) => requestJson(http.url, method, path, opts);

  return {
    url: http.url,
    adminToken,
    deps,
    tableName,
    logs,
    request,
    async userToken(login, extra = {}) {
      const res = await request('POST', '/api/user', { token: adminToken, body: { login, ...extra } });
      if (res.status !== 201) throw new Error(`creating ${login}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    async close() {
      await http.close();
      dynamo.destroy();
    },
  };
}
