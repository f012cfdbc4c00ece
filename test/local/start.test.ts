import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/local/free-port.ts';
import { requestJson } from '../support/http.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
}

/**
 * Runs `npm start` in its own process group, as a terminal would, and waits until it serves: the API
 * answers 503 until everything is up (holdTraffic), so the first 200 from its health route is the ready
 * state itself, not a sentence on stdout.
 */
async function npmStart(env: Record<string, string>, args: string[] = []): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('npm', ['start', '--silent', ...(args.length ? ['--', ...args] : [])], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 90_000;
  const health = () =>
    fetch(url).then(
      async (res) => {
        await res.arrayBuffer();
        return res.status;
      },
      () => 0,
    );
  while ((await health()) !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start failed:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // What it printed before it served was written to the pipe before the answer: read it in.
  await new Promise((r) => setImmediate(r));
  return { child, output: () => output, url };
}

/** Ctrl-C: SIGINT to the whole process group; resolves once npm has exited. */
async function ctrlC(started: Started): Promise<void> {
  const exited = new Promise((resolve) => started.child.once('exit', resolve));
  if (started.child.pid) process.kill(-started.child.pid, 'SIGINT');
  await exited;
}

function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(text) && !line.startsWith('ps '));
}

function walkthrough(name = 'walkthrough'): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = new RegExp(
    `<!-- ${name}:start -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}:end -->`,
  ).exec(readme)?.[1];
  if (!block) throw new Error(`README has no ${name} block`);
  return block;
}

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-start-'));
  const running: Started[] = [];
  afterAll(async () => {
    for (const started of running) {
      if (started.child.exitCode === null && started.child.signalCode === null) await ctrlC(started);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the README walk-through, keeps data across restarts and stops every child on Ctrl-C', async () => {
    // First start: the admin gets the chosen token, which is never echoed.
    const adminToken = 'first-start-admin-token-0123456789';
    const fluxKey = 'flux-hmac-key-0123456789abcdef';
    const first = await npmStart({
      FERRY_DATA_DIR: dataDir,
      FERRY_ADMIN_TOKEN: adminToken,
      FERRY_FLUX_HMAC_KEY: fluxKey,
    });
    running.push(first);
    expect(first.output()).toContain(`ferry: API listening on ${first.url}`);
    expect(first.output()).toContain('created user admin; its token: the one in FERRY_ADMIN_TOKEN');
    expect(first.output()).not.toContain(adminToken);

    // The README's commands, word for word.
    const out = execFileSync('bash', ['-euo', 'pipefail', '-c', walkthrough()], {
      cwd: ROOT,
      env: { ...process.env, FERRY: first.url, ADMIN_TOKEN: adminToken },
      encoding: 'utf8',
    });
    const id = /"id": "(acme\/shop-[0-9a-f-]{36})"/.exec(out)?.[1];
    expect(id).toBeDefined();
    expect(out.split('\n')).toEqual(expect.arrayContaining([id, 'Add checkout retries']));
    // The CLI part: two deploys, a rollback and a delete, each one commit in the served repository.
    const subjects = out.split('\n').filter((line) => /^[0-9a-f]{7,} \[Ferry\]/.test(line));
    expect(subjects.map((line) => line.replace(/^\S+ /, '').replace(/ [0-9a-f]{8} .*$/, ''))).toEqual([
      '[Ferry] deploy staging/shop',
      '[Ferry] deploy staging/shop',
    ]);
    expect(out).toContain('helmrelease.yaml\nhelmrepository.yaml\nnamespace-shop.yaml\nrelease.json\n');
    expect(out).toContain('ROLLED BACK');
    expect(out).toMatch(/ON HOLD/);
    expect(out).toContain('staging/shop: automatic deploys resumed\n');
    expect(out.match(/^committed/gm)?.length).toBe(4);

    // Flux feedback: env init, then a success and a failure reported as notification-controller does.
    const flux = execFileSync('bash', ['-euo', 'pipefail', '-c', walkthrough('flux-walkthrough')], {
      cwd: ROOT,
      env: { ...process.env, FERRY: first.url, ADMIN_TOKEN: adminToken, FERRY_FLUX_HMAC_KEY: fluxKey },
      encoding: 'utf8',
    });
    const lines = flux.split('\n');
    // env init prints its id, then its states: committed is as far as it goes before Flux reports.
    expect(lines[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines[1]).toMatch(/^requested {2}/);
    expect(lines.slice(2, 4)).toEqual(['queued', expect.stringMatching(/^committed {2}gitops [0-9a-f]{8}$/)]);
    expect(lines.filter((l) => l === '{"status":"accepted","env":"staging"}')).toHaveLength(2);
    expect(lines).toContain('succeeded');
    expect(flux).toMatch(/^failed {2}HealthCheckFailed: health check failed after 5m0s/m);
    expect(lines).toContain('track exited 1');

    // Ctrl-C leaves no DynamoDB Local (or anything else started for this data dir) behind.
    expect(processesMentioning(dataDir).length).toBeGreaterThan(0);
    await ctrlC(first);
    expect(first.output()).toContain('ferry: SIGINT, stopping');
    expect(processesMentioning(dataDir)).toEqual([]);
    await expect(fetch(first.url)).rejects.toThrow();

    // Second start: same data, the admin is not re-created and the token is not shown again.
    const second = await npmStart({ FERRY_DATA_DIR: dataDir });
    running.push(second);
    expect(second.output()).toContain(
      'admin exists; for a new admin token run: npm start -- --new-admin-token',
    );
    expect(second.output()).not.toContain(adminToken);
    const listed = await requestJson(second.url, 'GET', '/api/artifacts?repository=acme/shop', {
      token: adminToken,
    });
    expect(listed.body.map((a: { id: string }) => a.id)).toContain(id);
    expect(listed.body).toHaveLength(5);
    const history = await requestJson(second.url, 'GET', '/api/releases?env=staging&app=shop', {
      token: adminToken,
    });
    expect(history.body.map((r: { intent: string }) => r.intent)).toEqual([
      'deploy',
      'deploy',
      'delete',
      'rollback',
      'deploy',
      'deploy',
    ]);
    await ctrlC(second);

    // --new-admin-token replaces the token: the old one stops working.
    const third = await npmStart({ FERRY_DATA_DIR: dataDir }, ['--new-admin-token']);
    running.push(third);
    const newToken = /the new one: (\S+) \(shown once\)/.exec(third.output())?.[1];
    expect(newToken).toMatch(/^ferry_/);
    const withOld = await requestJson(third.url, 'GET', '/api/users', { token: adminToken });
    const withNew = await requestJson(third.url, 'GET', '/api/users', { token: newToken ?? '' });
    expect([withOld.status, withNew.status]).toEqual([401, 200]);
    await ctrlC(third);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 240_000);

  it('says in one line what to install when Java is missing', () => {
    let stderr = '';
    let status = 0;
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'lib/local/main.ts'], {
        cwd: ROOT,
        env: { ...process.env, PATH: '/nonexistent', FERRY_DATA_DIR: join(dataDir, 'nojava'), PORT: '0' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const failed = error as { status: number; stderr: string };
      status = failed.status;
      stderr = failed.stderr;
    }
    expect(status).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'ferry: DynamoDB Local needs Java 17 or newer: install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)',
    ]);
  });
});
