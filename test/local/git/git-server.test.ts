import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedGitopsRepo } from '../../../bench/support/seed-gitops.ts';
import { runGit } from '../../../lib/local/git/git-cli.ts';
import { createBareRepo, type GitServer, startGitServer } from '../../../lib/local/git/git-server.ts';

const author = { name: 'Test', email: 'test@localhost' };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !isAlive(pid);
}

describe('local git server (smart HTTP over git http-backend)', () => {
  let dir: string;
  let root: string;
  let server: GitServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-git-server-'));
    root = join(dir, 'repos');
    await mkdir(root);
    server = await startGitServer({ root });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets the git CLI clone an empty repository, push a commit, and clone it back', async () => {
    await createBareRepo(root, 'cli.git');
    const first = join(dir, 'cli-first');
    await runGit(['clone', '--quiet', server.repoUrl('cli.git'), first]);
    await writeFile(join(first, 'hello.txt'), 'hello\n');
    await runGit(['add', '.'], { cwd: first });
    await runGit(['commit', '--quiet', '-m', 'first over http'], { cwd: first });
    await runGit(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: first });

    const second = join(dir, 'cli-second');
    await runGit(['clone', '--quiet', '--branch', 'main', server.repoUrl('cli.git'), second]);

    expect(await readFile(join(second, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect((await runGit(['log', '-1', '--format=%s'], { cwd: second })).trim()).toBe('first over http');
  });

  it('lets isomorphic-git clone, commit and push', async () => {
    const bare = await createBareRepo(root, 'iso.git');
    await seedGitopsRepo(bare, { folders: 2, filesPerFolder: 2 });
    const work = join(dir, 'iso-work');
    await git.clone({ fs, http, dir: work, url: server.repoUrl('iso.git'), ref: 'main', singleBranch: true });
    await writeFile(join(work, 'dev/app-0/release.json'), '{"version":"2.0.0"}\n');
    await git.add({ fs, dir: work, filepath: 'dev/app-0/release.json' });
    await git.commit({ fs, dir: work, author, message: 'release app-0 2.0.0' });
    const result = await git.push({ fs, http, dir: work, remote: 'origin', ref: 'main' });

    expect(result.ok).toBe(true);
    expect((await runGit(['--git-dir', bare, 'log', '-1', '--format=%s', 'main'])).trim()).toBe(
      'release app-0 2.0.0',
    );
    expect(await runGit(['--git-dir', bare, 'show', 'main:dev/app-0/release.json'])).toBe(
      '{"version":"2.0.0"}\n',
    );
  });

  it('accepts a push bigger than git’s post buffer, which the client streams chunked', async () => {
    const bare = await createBareRepo(root, 'large.git');
    const work = join(dir, 'large-work');
    await runGit(['clone', '--quiet', server.repoUrl('large.git'), work]);
    // Random bytes do not compress, so the pack stays over the 1 MiB that makes git switch to chunked.
    for (let i = 0; i < 8; i++) await writeFile(join(work, `blob-${i}.bin`), randomBytes(256 * 1024));
    await runGit(['add', '.'], { cwd: work });
    await runGit(['commit', '--quiet', '-m', 'two megabytes'], { cwd: work });
    await runGit(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: work });

    expect((await runGit(['--git-dir', bare, 'cat-file', '-s', 'main:blob-7.bin'])).trim()).toBe('262144');
  });

  it('inflates a gzip request body, as git sends for large fetch negotiations', async () => {
    const bare = await createBareRepo(root, 'gzip.git');
    const { head } = await seedGitopsRepo(bare, { folders: 1, filesPerFolder: 1 });
    const pkt = (line: string) => `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
    const body = gzipSync(`${pkt(`want ${head}\n`)}0000${pkt('done\n')}`);

    const response = await fetch(`${server.repoUrl('gzip.git')}/git-upload-pack`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-git-upload-pack-request', 'content-encoding': 'gzip' },
      body,
    });

    expect(response.status).toBe(200);
    const reply = Buffer.from(await response.arrayBuffer());
    expect(reply.subarray(0, 8).toString()).toBe('0008NAK\n');
    expect(reply.includes(Buffer.from('PACK'))).toBe(true);
  });

  it('answers a synchronous git call from the process that started it', async () => {
    await createBareRepo(root, 'sync.git');
    const work = join(dir, 'sync-work');
    await runGit(['clone', '--quiet', server.repoUrl('sync.git'), work]);
    await runGit(['commit', '--quiet', '--allow-empty', '-m', 'empty'], { cwd: work });

    // A server in this process could not answer while execFileSync blocks its event loop.
    execFileSync('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: work, timeout: 10_000 });

    expect(await runGit(['--git-dir', join(root, 'sync.git'), 'log', '--format=%s', 'main'])).toBe('empty\n');
  });

  it('answers 404 for a repository that does not exist and keeps serving', async () => {
    await createBareRepo(root, 'exists.git');
    const missing = await fetch(`${server.repoUrl('missing.git')}/info/refs?service=git-upload-pack`);
    const present = await fetch(`${server.repoUrl('exists.git')}/info/refs?service=git-upload-pack`);

    expect(missing.status).toBe(404);
    expect(present.status).toBe(200);
    expect(present.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
  });
});

describe('local git server process lifetime', () => {
  it('leaves no child process after stop()', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ferry-git-stop-'));
    const server = await startGitServer({ root });
    expect(isAlive(server.pid)).toBe(true);

    await server.stop();

    expect(isAlive(server.pid)).toBe(false);
    await rm(root, { recursive: true, force: true });
  });

  it('takes the child along when its parent is killed without stop()', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ferry-git-orphan-'));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const module = pathToFileURL(join(import.meta.dirname, '../../../lib/local/git/git-server.ts')).href;
    const script = `
      import { startGitServer } from ${JSON.stringify(module)};
      const server = await startGitServer({ root: ${JSON.stringify(root)} });
      process.stdout.write(JSON.stringify({ pid: server.pid }) + '\\n');
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script]);
    const line = await new Promise<string>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      parent.once('exit', (code) => reject(new Error(`parent exited with ${code}`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    expect(isAlive(pid)).toBe(true);

    parent.kill('SIGKILL');

    expect(await waitUntilGone(pid, 5000)).toBe(true);
    await rm(root, { recursive: true, force: true });
  });
});
