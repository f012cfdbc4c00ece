import { afterEach, describe, expect, it } from 'vitest';
import { parseArtifact } from '../../lib/domain/artifact.ts';
import { removeTempDirs, runCli, TOKEN, tempDir, writeFiles } from './helpers.ts';

const PUSH_SHA = '9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b';
const MERGE_SHA = 'b'.repeat(40);
const HEAD_SHA = 'c'.repeat(40);

/** What a GitHub-hosted runner sets for a push to main (cwd is not a clone: GitHub says it all). */
function actionsEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_SHA: PUSH_SHA,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_ACTOR: 'ada',
    GITHUB_JOB: 'ship',
    GITHUB_TOKEN: 'ghs_do_not_ship_me',
    GITHUB_APP_PRIVATE_KEY: 'pem',
    FERRY_TOKEN: TOKEN,
    PATH: '/usr/bin',
    ...overrides,
  };
}

async function printed(env: Record<string, string>, cwd = tempDir()) {
  const run = await runCli(['artifact', 'push', '--print'], { env, cwd });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

afterEach(removeTempDirs);

describe('ferry artifact push in GitHub Actions', () => {
  it('describes a push with the branch, the commit URL and a CI item for the run', async () => {
    // Act
    const artifact = await printed(actionsEnv());
    // Assess
    expect(artifact.version).toEqual({
      repositoryName: 'acme/shop',
      sha: PUSH_SHA,
      branch: 'main',
      event: 'push',
      url: `https://github.com/acme/shop/commit/${PUSH_SHA}`,
    });
    expect(artifact.items).toEqual([{ name: 'CI', url: 'https://github.com/acme/shop/actions/runs/4242' }]);
    expect(artifact.vars).toMatchObject({
      REPO: 'acme/shop',
      OWNER: 'acme',
      BRANCH: 'main',
      SHA: PUSH_SHA,
      ACTOR: 'ada',
      EVENT: 'push',
      JOB: 'ship',
      GITHUB_SHA: PUSH_SHA,
      GITHUB_BRANCH: 'main',
    });
    expect(artifact.vars).not.toHaveProperty('TAG');
    expect(artifact.vars).not.toHaveProperty('PR_NUMBER');
    expect(artifact.context).toEqual(artifact.vars);
    expect(parseArtifact(artifact).version.sha).toBe(PUSH_SHA);
  });

  it('keeps secret-looking GITHUB_* variables and the Ferry token out of the artifact', async () => {
    const run = await runCli(['artifact', 'push', '--print'], { env: actionsEnv(), cwd: tempDir() });
    const artifact = JSON.parse(run.stdout);
    expect(Object.keys(artifact.context)).not.toContain('GITHUB_TOKEN');
    expect(Object.keys(artifact.vars)).not.toContain('GITHUB_APP_PRIVATE_KEY');
    expect(run.stdout).not.toContain('ghs_do_not_ship_me');
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('describes a tag build as event tag, with the tag and no branch', async () => {
    const artifact = await printed(actionsEnv({ GITHUB_REF: 'refs/tags/v1.4.0' }));
    expect(artifact.version).toMatchObject({ event: 'tag', tag: 'v1.4.0' });
    expect(artifact.version).not.toHaveProperty('branch');
    expect(artifact.vars).toMatchObject({ TAG: 'v1.4.0', EVENT: 'tag' });
    expect(artifact.vars).not.toHaveProperty('BRANCH');
    expect(parseArtifact(artifact).version.event).toBe('tag');
  });

  it('describes a pull request by its head commit, head and base branches, and PR link', async () => {
    // Prepare: GitHub's GITHUB_SHA for a PR is a merge commit; the head sha is only in the payload.
    const dir = tempDir();
    writeFiles(dir, {
      'event.json': JSON.stringify({
        number: 17,
        pull_request: { number: 17, head: { sha: HEAD_SHA, ref: 'feature/retries' }, base: { ref: 'main' } },
      }),
    });
    const env = actionsEnv({
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: `${dir}/event.json`,
      GITHUB_SHA: MERGE_SHA,
      GITHUB_REF: 'refs/pull/17/merge',
      GITHUB_HEAD_REF: 'feature/retries',
      GITHUB_BASE_REF: 'main',
    });
    // Act
    const artifact = await printed(env, dir);
    // Assess
    expect(artifact.version).toEqual({
      repositoryName: 'acme/shop',
      sha: HEAD_SHA,
      branch: 'feature/retries',
      event: 'pr',
      sourceBranch: 'feature/retries',
      targetBranch: 'main',
      url: 'https://github.com/acme/shop/pull/17',
    });
    expect(artifact.vars).toMatchObject({
      SHA: HEAD_SHA,
      EVENT: 'pr',
      PR_NUMBER: '17',
      BRANCH: 'feature/retries',
    });
    expect(parseArtifact(artifact).version.event).toBe('pr');
  });

  it('falls back to the PR number in GITHUB_REF and the merge sha, saying so, without a payload', async () => {
    const env = actionsEnv({
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_SHA: MERGE_SHA,
      GITHUB_REF: 'refs/pull/9/merge',
      GITHUB_HEAD_REF: 'fix',
      GITHUB_BASE_REF: 'main',
    });
    const run = await runCli(['artifact', 'push', '--print'], { env, cwd: tempDir() });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('using GITHUB_SHA');
    expect(JSON.parse(run.stdout).version).toMatchObject({
      sha: MERGE_SHA,
      url: 'https://github.com/acme/shop/pull/9',
    });
  });

  it('lets FERRY_* variables override what GitHub says', async () => {
    const artifact = await printed(
      actionsEnv({ FERRY_BRANCH: 'release', FERRY_URL: 'https://ci.example/1' }),
    );
    expect(artifact.version).toMatchObject({ branch: 'release', url: 'https://ci.example/1' });
  });

  it('adds .gimlet manifests, .gimlet/vars and --field items', async () => {
    // Prepare
    const dir = tempDir();
    writeFiles(dir, {
      '.gimlet/staging.yaml':
        'app: shop\nenv: staging\nchart:\n  name: onechart\nvalues:\n  tag: "{{ .SHA }}"\n',
      '.gimlet/vars': 'IMAGE=ghcr.io/acme/shop\n',
    });
    // Act
    const run = await runCli(['artifact', 'push', '--print', '--field', 'image=ghcr.io/acme/shop:1'], {
      env: actionsEnv(),
      cwd: dir,
    });
    // Assess
    const artifact = JSON.parse(run.stdout);
    expect(artifact.environments).toEqual([
      { app: 'shop', env: 'staging', chart: { name: 'onechart' }, values: { tag: '{{ .SHA }}' } },
    ]);
    expect(artifact.items.map((i: { name: string }) => i.name)).toEqual(['CI', 'image']);
    expect(artifact.vars.IMAGE).toBe('ghcr.io/acme/shop');
    expect(artifact.context).not.toHaveProperty('IMAGE');
    expect(parseArtifact(artifact).environments).toHaveLength(1);
  });
});
