import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { bootstrapAdmin } from '../../lib/app/users.ts';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../lib/local/stack.ts';
import { makeLogger } from '../../lib/log/logger.ts';
import { type RequestOptions, requestJson } from './http.ts';

export interface TestStack {
  stack: LocalStack;
  url: string;
  adminToken: string;
  logs: string[];
  request(method: string, path: string, options?: RequestOptions): Promise<{ status: number; body: any }>;
  /** Ships an artifact as admin and returns the stored one. */
  ship(artifact: unknown): Promise<any>;
  /** Polls GET /api/releases/{id} until `done`; fails the test after `timeoutMs`. */
  settle(id: string, timeoutMs?: number): Promise<any>;
  /** Like settle, for many requests: one poll per pending request per round, so polling stays light. */
  settleAll(ids: string[], timeoutMs?: number): Promise<any[]>;
  /** `git` run against a fresh clone of the gitops remote. */
  clone(): { dir: string; git(...args: string[]): string };
  close(): Promise<void>;
}

/**
 * The whole local stack (API, stream and queue pollers, writer, git http-backend remote, fauxqs) on a fresh
 * table in the run's DynamoDB Local.
 */
export async function startTestStack(
  options: Partial<
    Pick<LocalStackOptions, 'remote' | 'fluxHmacKey' | 'notify' | 'policy' | 'githubWebhookSecret'>
  > = {},
): Promise<TestStack> {
  const logs: string[] = [];
  const stack = await startLocalStack({
    port: 0,
    logger: makeLogger((line) => {
      logs.push(line);
      // FERRY_TEST_LOGS=<file> keeps every line of a run for debugging a slow or failing test.
      if (process.env.FERRY_TEST_LOGS) appendFileSync(process.env.FERRY_TEST_LOGS, `${line}\n`);
    }),
    shared: { dynamoEndpoint: inject('dynamoEndpoint'), tableName: `s-${randomUUID()}` },
    ...options,
  });
  const adminToken = (await bootstrapAdmin(stack.deps.users, stack.deps.clock)) as string;
  const request: TestStack['request'] = (method, path, opts) =>
    requestJson(stack.http.url, method, path, { token: adminToken, ...opts });
  const clones: string[] = [];

  return {
    stack,
    url: stack.http.url,
    adminToken,
    logs,
    request,
    async ship(artifact) {
      const res = await request('POST', '/api/artifact', { body: artifact });
      if (res.status !== 201) throw new Error(`ship failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async settle(id, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await request('GET', `/api/releases/${id}`);
        if (res.status === 200 && res.body.done) return res.body;
        if (Date.now() > deadline) {
          const recent = logs
            .filter((l) => !l.includes('"message":"request"'))
            .slice(-15)
            .join('\n');
          throw new Error(`request ${id} not done: ${JSON.stringify(res.body)}\nrecent logs:\n${recent}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async settleAll(ids, timeoutMs = 120_000) {
      const done = new Map<string, any>();
      const deadline = Date.now() + timeoutMs;
      while (done.size < ids.length) {
        for (const id of ids.filter((i) => !done.has(i))) {
          const res = await request('GET', `/api/releases/${id}`);
          if (res.status === 200 && res.body.done) done.set(id, res.body);
        }
        if (done.size < ids.length && Date.now() > deadline) {
          throw new Error(`${ids.length - done.size} of ${ids.length} requests not done`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      return ids.map((id) => done.get(id));
    },
    clone() {
      const dir = mkdtempSync(join(tmpdir(), 'ferry-clone-'));
      clones.push(dir);
      execFileSync('git', ['clone', '-q', stack.gitops.url, dir], { stdio: 'pipe' });
      return { dir, git: (...args) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }) };
    },
    async close() {
      await stack.stop();
      for (const dir of clones) rmSync(dir, { recursive: true, force: true });
    },
  };
}
