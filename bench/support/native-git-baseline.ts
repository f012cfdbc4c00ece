import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runGit } from '../../lib/local/git/git-cli.ts';

export interface BaselineRelease {
  env: string;
  app: string;
  files: { name: string; content: string }[];
}

export interface BaselineOptions {
  remoteUrl: string;
  branch: string;
  releases: BaselineRelease[];
  /** Where the warm clone goes; must be absent or empty. */
  workDir: string;
}

/**
 * What a CI script does with the git CLI, as the yardstick for Ferry's writer: on a clone made before
 * timing starts, one fetch → reset → replace the app folder → commit → push per release, one after another.
 */
export async function runNativeGitBaseline(
  options: BaselineOptions,
): Promise<{ perRelease: number[]; totalMs: number }> {
  await runGit(['clone', '--quiet', '--branch', options.branch, options.remoteUrl, options.workDir]);
  const perRelease: number[] = [];
  const started = performance.now();
  for (const release of options.releases) {
    const releaseStarted = performance.now();
    await releaseOnce(options.workDir, options.branch, release);
    perRelease.push(performance.now() - releaseStarted);
  }
  return { perRelease, totalMs: performance.now() - started };
}

async function releaseOnce(repo: string, branch: string, release: BaselineRelease): Promise<void> {
  const git = (...args: string[]) => runGit(args, { cwd: repo });
  await git('fetch', '--quiet', 'origin', branch);
  await git('reset', '--quiet', '--hard', `origin/${branch}`);
  const folder = `${release.env}/${release.app}`;
  await rm(join(repo, folder), { recursive: true, force: true });
  for (const file of release.files) {
    const path = join(repo, folder, file.name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content);
  }
  await git('add', '-A', '--', folder);
  // A release identical to what is deployed still commits, so every release costs the same round trips.
  await git('commit', '--quiet', '--allow-empty', '-m', `Release ${folder}`);
  await git('push', '--quiet', 'origin', `HEAD:${branch}`);
}
