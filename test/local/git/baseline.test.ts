import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNativeGitBaseline } from '../../../bench/support/native-git-baseline.ts';
import { seedGitopsRepo } from '../../../bench/support/seed-gitops.ts';
import { runGit } from '../../../lib/local/git/git-cli.ts';
import { createBareRepo, type GitServer, startGitServer } from '../../../lib/local/git/git-server.ts';

describe('native git baseline', () => {
  let dir: string;
  let bare: string;
  let server: GitServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-baseline-'));
    bare = await createBareRepo(join(dir, 'repos'), 'gitops.git');
    await seedGitopsRepo(bare, { folders: 3, filesPerFolder: 2 });
    server = await startGitServer({ root: join(dir, 'repos') });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('pushes one commit per release over HTTP, replacing each app folder', async () => {
    const releases = ['app-0', 'app-1', 'app-9'].map((app) => ({
      env: 'dev',
      app,
      files: [{ name: 'deployment.yaml', content: `image: registry.local/${app}:2.0.0\n` }],
    }));

    const result = await runNativeGitBaseline({
      remoteUrl: server.repoUrl('gitops.git'),
      branch: 'main',
      releases,
      workDir: join(dir, 'clone'),
    });

    expect(result.perRelease).toHaveLength(3);
    expect(result.totalMs).toBeGreaterThanOrEqual(Math.max(...result.perRelease));
    const log = await runGit(['--git-dir', bare, 'log', '--format=%s', 'main']);
    expect(log.trim().split('\n')).toEqual([
      'Release dev/app-9',
      'Release dev/app-1',
      'Release dev/app-0',
      'Seed 3 apps × 2 files in dev',
    ]);
    expect(await runGit(['--git-dir', bare, 'show', 'main:dev/app-1/deployment.yaml'])).toBe(
      'image: registry.local/app-1:2.0.0\n',
    );
    const app0 = await runGit(['--git-dir', bare, 'ls-tree', '--name-only', 'main:dev/app-0']);
    expect(app0.trim().split('\n')).toEqual(['deployment.yaml']);
    expect(await readdir(join(dir, 'clone', 'dev', 'app-2'))).toHaveLength(3);
  });
});
