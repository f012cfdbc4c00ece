import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedGitopsRepo } from '../../../bench/support/seed-gitops.ts';
import { runGit } from '../../../lib/local/git/git-cli.ts';
import { createBareRepo } from '../../../lib/local/git/git-server.ts';

describe('seedGitopsRepo', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-seed-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every app folder in one commit', async () => {
    const bare = await createBareRepo(dir, 'big.git');

    const { head } = await seedGitopsRepo(bare, { folders: 200, filesPerFolder: 10, env: 'prod' });

    expect((await runGit(['--git-dir', bare, 'rev-parse', 'main'])).trim()).toBe(head);
    expect((await runGit(['--git-dir', bare, 'rev-list', '--count', 'main'])).trim()).toBe('1');
    const files = (await runGit(['--git-dir', bare, 'ls-tree', '-r', '--name-only', 'main']))
      .trim()
      .split('\n');
    expect(files).toHaveLength(200 * 11);
    expect(files).toContain('prod/app-199/configmap-9.yaml');
    expect(files).toContain('prod/app-0/release.json');
    expect(await runGit(['--git-dir', bare, 'show', 'main:prod/app-3/configmap-1.yaml'])).toContain(
      'kind: ConfigMap',
    );
  });

  it('builds on the branch when it already has commits', async () => {
    const bare = await createBareRepo(dir, 'twice.git');
    const first = await seedGitopsRepo(bare, { folders: 1, filesPerFolder: 1, env: 'dev' });

    const second = await seedGitopsRepo(bare, { folders: 1, filesPerFolder: 1, env: 'prod' });

    expect((await runGit(['--git-dir', bare, 'rev-parse', `${second.head}^`])).trim()).toBe(first.head);
    const files = (await runGit(['--git-dir', bare, 'ls-tree', '-r', '--name-only', 'main']))
      .trim()
      .split('\n');
    expect(files).toEqual([
      'dev/app-0/configmap-0.yaml',
      'dev/app-0/release.json',
      'prod/app-0/configmap-0.yaml',
      'prod/app-0/release.json',
    ]);
  });
});
