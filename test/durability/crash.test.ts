import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { requestJson } from '../support/http.ts';

const SCRIPT = new URL('../support/stack-process.ts', import.meta.url).pathname;
const TSX = createRequire(import.meta.url).resolve('tsx');

interface Running {
  child: ChildProcess;
  url: string;
  gitPid: number;
  log: string;
}

/**
 * The crash tier: the stack runs in its own process and is killed with SIGKILL mid-burst; the table
 * (DynamoDB Local, shared by the run) survives, as DynamoDB would, and so does the data directory.
 */
describe('nothing accepted is lost', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-crash-'));
  const tableName = `crash-${randomUUID()}`;
  const token = `ferry_${randomBytes(24).toString('base64url')}`;
  const running: Running[] = [];
  let runs = 0;
  afterAll(() => {
    for (const r of running) r.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<Running> {
    const log = join(dataDir, `run-${++runs}.log`);
    const child = spawn(
      process.execPath,
      ['--import', TSX, SCRIPT, inject('dynamoEndpoint'), tableName, dataDir, token, log],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!out.includes('\n')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`stack did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { url, gitPid } = JSON.parse(out.split('\n')[0] as string);
    const started = { child, url, gitPid, log };
    running.push(started);
    return started;
  }

  async function stop(r: Running, signal: NodeJS.Signals): Promise<void> {
    const exited = new Promise((resolve) => r.child.once('exit', resolve));
    r.child.kill(signal);
    await exited;
  }

  const call = (r: Running, method: string, path: string, body?: unknown) =>
    requestJson(r.url, method, path, { token, ...(body !== undefined ? { body } : {}) });

  async function settleAll(r: Running, ids: string[], timeoutMs = 30_000): Promise<Map<string, any>> {
    const done = new Map<string, any>();
    const deadline = Date.now() + timeoutMs;
    while (done.size < ids.length) {
      for (const id of ids.filter((i) => !done.has(i))) {
        const res = await call(r, 'GET', `/api/releases/${id}`);
        if (res.status === 200 && res.body.done) done.set(id, res.body);
      }
      if (done.size < ids.length && Date.now() > deadline) {
        throw new Error(`${ids.length - done.size} of ${ids.length} accepted requests never ended`);
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    return done;
  }

  const commits = () =>
    Number(
      execFileSync('git', ['--git-dir', join(dataDir, 'git', 'gitops.git'), 'rev-list', '--count', 'main'], {
        encoding: 'utf8',
      }).trim(),
    );
  const told = (r: Running) =>
    existsSync(r.log)
      ? readFileSync(r.log, 'utf8')
          .split('\n')
          .filter((l) => l.includes('would set commit status')).length
      : 0;

  it('ends every accepted request after a SIGKILL mid-burst, survives its git server dying, and replays nothing on restarts', async () => {
    const first = await start();
    const apps = Array.from({ length: 12 }, (_, i) => `app${i}`);
    const environments = apps.map((app) => ({
      app,
      env: 'crash',
      manifests: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}\n`,
    }));
    const shipped = await call(first, 'POST', '/api/artifact', artifact({}, environments));
    expect(shipped.status).toBe(201);
    const accepted = await Promise.all(
      apps.map((app) =>
        call(first, 'POST', '/api/releases', { env: 'crash', app, artifactId: shipped.body.id }),
      ),
    );
    expect(accepted.map((a) => a.status)).toEqual(apps.map(() => 201));
    await stop(first, 'SIGKILL');

    const second = await start();
    const ids = accepted.map((a) => a.body.id as string);
    const ended = await settleAll(second, ids);
    expect([...ended.values()].map((r) => r.state).filter((s) => s !== 'committed')).toEqual([]);
    expect(commits()).toBe(apps.length);

    // The git server child dies: it is started again and the next write goes through.
    process.kill(second.gitPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const after = await call(second, 'POST', '/api/releases', {
      env: 'crash',
      app: 'app0',
      artifactId: (await call(second, 'POST', '/api/artifact', artifact({}, environments))).body.id,
    });
    expect(after.status).toBe(201);
    expect((await settleAll(second, [after.body.id])).get(after.body.id).state).toBe('committed');
    await new Promise((r) => setTimeout(r, 500));
    await stop(second, 'SIGTERM');
    const before = commits();
    const toldBefore = running.reduce((n, r) => n + told(r), 0);
    expect(toldBefore).toBe(apps.length + 1);

    // Restarted twice with its data: no new commit, no notification told again.
    for (let i = 0; i < 2; i++) {
      const again = await start();
      await new Promise((r) => setTimeout(r, 1500));
      await stop(again, 'SIGTERM');
      expect(told(again)).toBe(0);
    }
    expect(commits()).toBe(before);
  }, 120_000);
});
