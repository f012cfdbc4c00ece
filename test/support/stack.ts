import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, inject } from 'vitest';
import { bootstrapAdmin } from '../../lib/app/users.ts';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../lib/local/stack.ts';
import { makeLogger } from '../../lib/log/logger.ts';
import { assertFluxApplies, type FluxApplyOptions, fluxPaths } from './flux-oracle.ts';
import { type RequestOptions, requestJson } from './http.ts';

const execFileAsync = promisify(execFile);

export interface TestStack {
  stack: LocalStack;
  url: string;
  adminToken: string;
  logs: string[];
  /** The EMF lines the functions wrote (CloudWatch's embedded metric format), in order. */
  metrics: string[];
  request(method: string, path: string, options?: RequestOptions): Promise<{ status: number; body: any }>;
  /** Ships an artifact as admin and returns the stored one. */
  ship(artifact: unknown): Promise<any>;
  /** Polls GET /api/releases/{id} until `done`; fails the test after `timeoutMs`. */
  settle(id: string, timeoutMs?: number): Promise<any>;
  /** Polls GET /api/releases/{id} until `ok` holds for it; fails the test after `timeoutMs`. */
  waitFor(id: string, ok: (request: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Like settle, for many requests: one poll per pending request per round, so polling stays light. */
  settleAll(ids: string[], timeoutMs?: number): Promise<any[]>;
  /**
   * `git` run against a fresh clone of the gitops remote. Every tree cloned is also judged by the Flux
   * oracle (each app folder built as kustomize-controller would); close() fails with its report when Flux
   * would not apply one. `fluxCheck: false` for a test that makes a broken tree on purpose.
   */
  /**
   * A clone of the gitops repository (or of `url`, another one the stack writes), checked by the Flux oracle;
   * `folders` are where its environments live (FERRY_GITOPS_REPOS `path`; default the root only).
   */
  clone(options?: { fluxCheck?: boolean; url?: string; folders?: string[] }): {
    dir: string;
    git(...args: string[]): string;
  };
  close(): Promise<void>;
}

/**
 * The whole local stack (API, stream and queue pollers, writer, git http-backend remote, fauxqs) on a fresh
 * table in the run's DynamoDB Local.
 */
export async function startTestStack(
  options: Partial<
    Pick<
      LocalStackOptions,
      | 'remote'
      | 'gitopsRepos'
      | 'fluxHmacKey'
      | 'notify'
      | 'policy'
      | 'githubWebhookSecret'
      | 'slackSigningSecret'
      | 'sweepEveryMs'
      | 'oidc'
    >
  > & { flux?: FluxApplyOptions } = {},
): Promise<TestStack> {
  const { flux: fluxOptions, ...stackOptions } = options;
  const logs: string[] = [];
  const metrics: string[] = [];
  const stack = await startLocalStack({
    metricsSink: (line) => metrics.push(line),
    port: 0,
    logger: makeLogger((line) => {
      logs.push(line);
      // FERRY_TEST_LOGS=<file> keeps every line of a run for debugging a slow or failing test.
      if (process.env.FERRY_TEST_LOGS) appendFileSync(process.env.FERRY_TEST_LOGS, `${line}\n`);
    }),
    shared: { dynamoEndpoint: inject('dynamoEndpoint'), tableName: `s-${randomUUID()}` },
    ...stackOptions,
  });
  const adminToken = (await bootstrapAdmin(stack.deps.users, stack.deps.clock)) as string;
  const request: TestStack['request'] = (method, path, opts) =>
    requestJson(stack.http.url, method, path, { token: adminToken, ...opts });
  const clones: string[] = [];
  const checks: Promise<string | undefined>[] = [];

  return {
    stack,
    url: stack.http.url,
    adminToken,
    logs,
    metrics,
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
    async waitFor(id, ok, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await request('GET', `/api/releases/${id}`);
        if (res.status === 200 && ok(res.body)) return res.body;
        if (Date.now() > deadline)
          throw new Error(`request ${id} never matched: ${JSON.stringify(res.body)}`);
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
    clone({ fluxCheck = true, url = stack.gitops.url, folders } = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'ferry-clone-'));
      clones.push(dir);
      execFileSync('git', ['clone', '-q', url, dir], { stdio: 'pipe' });
      if (fluxCheck)
        checks.push(fluxCheckOf(dir, expect.getState().currentTestName ?? 'a test', fluxOptions, folders));
      return { dir, git: (...args) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }) };
    },
    async close() {
      const reports = (await Promise.all(checks)).filter((r) => r !== undefined);
      await stack.stop();
      for (const dir of clones) rmSync(dir, { recursive: true, force: true });
      if (reports.length > 0) throw new Error(reports.join('\n'));
    },
  };
}

/**
 * The oracle runs on its own checkout of the clone's HEAD, asynchronously: building every app folder takes
 * a while, the stack's HTTP server shares this event loop, and the test may go on to change its clone.
 */
async function fluxCheckOf(
  clone: string,
  test: string,
  options?: FluxApplyOptions,
  folders?: string[],
): Promise<string | undefined> {
  const sha = execFileSync('git', ['-C', clone, 'rev-parse', '--verify', '-q', 'HEAD'], {
    encoding: 'utf8',
  }).trim();
  if (!sha) return undefined;
  const snapshot = mkdtempSync(join(tmpdir(), 'ferry-flux-check-'));
  try {
    await execFileAsync('git', ['clone', '-q', '--no-checkout', clone, snapshot]);
    await execFileAsync('git', ['-C', snapshot, 'checkout', '-q', sha]);
    await assertFluxApplies(snapshot, fluxPaths(snapshot, folders), options);
    return undefined;
  } catch (error) {
    return `${test} (gitops ${sha.slice(0, 7)}): ${(error as Error).message}`;
  } finally {
    rmSync(snapshot, { recursive: true, force: true });
  }
}
