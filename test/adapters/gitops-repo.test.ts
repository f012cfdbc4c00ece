import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesUnder } from '../../bench/support/disk.ts';
import { seedHistory } from '../../bench/support/seed-history.ts';
import { makeGitopsRepo } from '../../lib/adapters/git/gitops-repo.ts';
import { runGit } from '../../lib/local/git/git-cli.ts';
import { createBareRepo, type GitServer, startGitServer } from '../../lib/local/git/git-server.ts';

const COMMITS = 3000;
const SPACING_MS = 1200;

/** Commits in the clone's object store, by asking git itself (the clone is a bare repository). */
async function commitsIn(cacheDir: string): Promise<number> {
  const [gitdir] = readdirSync(cacheDir);
  const out = await runGit(['--git-dir', join(cacheDir, gitdir ?? ''), 'rev-list', '--count', '--all']);
  return Number(out.trim());
}

describe('the gitops clone on a long history', () => {
  let root: string;
  let server: GitServer;
  let url: string;
  let bare: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ferry-shallow-'));
    bare = await createBareRepo(join(root, 'git'), 'long.git');
    await seedHistory(bare, { commits: COMMITS, apps: 20, filesPerApp: 2, spacingMs: SPACING_MS });
    server = await startGitServer({ root: join(root, 'git') });
    url = server.repoUrl('long.git');
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const git = (...args: string[]) => runGit(['--git-dir', bare, ...args]).then((out) => out.trim());

  it('fetches the tip only on a cold start, whatever the length of the history', async () => {
    // Act
    const cacheDir = join(root, 'cold');
    const head = await makeGitopsRepo({ url, branch: 'main', cacheDir }).sync();
    // Assess
    expect(head).toBe(await git('rev-parse', 'main'));
    expect(await commitsIn(cacheDir)).toBe(1);
  });

  it('reads back every commit of the time window from a shallow clone, deepening by date', async () => {
    // Prepare: a cold clone; the window reaches 500 commits behind the tip.
    const repo = makeGitopsRepo({ url, branch: 'main', cacheDir: join(root, 'window') });
    const head = await repo.sync();
    // Whole seconds, as commit times and `git log --since` are.
    const since = new Date(Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000);
    // Act
    const found = await repo.recentCommits(head, since);
    // Assess: exactly what git log lists for the same window, and far fewer than the whole history.
    const expected = (
      await git('log', '--format=%H', `--since=${Math.floor(since.getTime() / 1000)}`, 'main')
    )
      .split('\n')
      .filter((l) => l !== '');
    expect(found.map((c) => c.sha)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(400);
    expect(await commitsIn(join(root, 'window'))).toBeLessThan(COMMITS / 2);
  });

  it('deepens to a rollback target far back in history, and says no for a commit the branch never had', async () => {
    // Prepare
    const repo = makeGitopsRepo({ url, branch: 'main', cacheDir: join(root, 'rollback') });
    await repo.sync();
    // The 100th commit: the seed, then releases 1…99.
    const old = await git('rev-parse', `main~${COMMITS - 100}`);
    const app = (await git('show', '--format=%(trailers:key=Ferry-App,valueonly)', '-s', old)).trim();
    // Act + Assess
    expect(await repo.changedDir(old, `staging/${app}`)).toBe(true);
    expect(await repo.readFile(old, `staging/${app}/configmap-0.yaml`)).toContain('ROUND: "99"');
    expect(await repo.changedDir('0'.repeat(40), `staging/${app}`)).toBe(false);
  });

  it('starts over from the tip when the clone grows past its size limit', async () => {
    // Prepare: a clone that deepened a lot (the rollback above) then keeps being used.
    const cacheDir = join(root, 'bounded');
    const repo = makeGitopsRepo({ url, branch: 'main', cacheDir, maxCloneBytes: 200_000, sizeCheckEvery: 1 });
    await repo.sync();
    await repo.changedDir(await git('rev-parse', `main~${COMMITS - 10}`), 'staging/app-10');
    const grown = bytesUnder(cacheDir);
    // Act
    const head = await repo.sync();
    // Assess
    expect(grown).toBeGreaterThan(200_000);
    expect(head).toBe(await git('rev-parse', 'main'));
    expect(bytesUnder(cacheDir)).toBeLessThan(200_000);
    expect(await commitsIn(cacheDir)).toBe(1);
  });
});
