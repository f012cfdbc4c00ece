import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commitInfo, repositoryFromRemote } from '../../lib/cli/artifact/git.ts';
import { parseArtifact } from '../../lib/domain/artifact.ts';
import {
  COMMIT_TIME,
  type FakeServer,
  git,
  gitRepo,
  removeTempDirs,
  runCli,
  startFakeServer,
  TOKEN,
  tempDir,
} from './helpers.ts';

afterEach(removeTempDirs);

const STAGING = 'app: shop\nenv: staging\nchart:\n  name: onechart\n';

async function print(dir: string, env: Record<string, string> = {}) {
  const run = await runCli(['artifact', 'push', '--print', '--dir', dir], { env });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

describe('ferry artifact push outside GitHub Actions', () => {
  it('reads the commit, branch, people, time and message from the clone and the origin remote', async () => {
    // Prepare
    const dir = gitRepo({ '.gimlet/staging.yaml': STAGING });
    git(dir, 'remote', 'add', 'origin', 'git@github.com:acme/shop.git');
    // Act
    const artifact = await print(dir);
    // Assess
    expect(artifact.version).toEqual({
      repositoryName: 'acme/shop',
      sha: git(dir, 'rev-parse', 'HEAD'),
      created: Date.parse(COMMIT_TIME) / 1000,
      branch: 'main',
      event: 'push',
      authorName: 'Ada Lovelace',
      authorEmail: 'ada@example.com',
      committerName: 'Build Bot',
      committerEmail: 'bot@example.com',
      message: 'Add checkout retries\n\nSo that a flaky payment API does not fail orders.',
    });
    expect(artifact.context).toEqual({
      REPO: 'acme/shop',
      OWNER: 'acme',
      BRANCH: 'main',
      SHA: artifact.version.sha,
      EVENT: 'push',
    });
    expect(parseArtifact(artifact).environments[0]).toMatchObject({ app: 'shop', env: 'staging' });
  });

  it('takes FERRY_* over the clone, and infers a tag build from FERRY_TAG', async () => {
    const dir = gitRepo();
    const artifact = await print(dir, {
      FERRY_REPOSITORY: 'group/sub/shop',
      FERRY_TAG: 'v2.0.0',
      FERRY_URL: 'https://gitlab.example/group/sub/shop/-/tags/v2.0.0',
    });
    expect(artifact.version).toMatchObject({
      repositoryName: 'group/sub/shop',
      event: 'tag',
      tag: 'v2.0.0',
      url: 'https://gitlab.example/group/sub/shop/-/tags/v2.0.0',
      authorName: 'Ada Lovelace',
    });
    expect(artifact.version).not.toHaveProperty('branch');
    expect(parseArtifact(artifact).version.repositoryName).toBe('group/sub/shop');
  });

  it('describes a pull request from FERRY_* variables', async () => {
    const dir = gitRepo();
    const artifact = await print(dir, {
      FERRY_REPOSITORY: 'acme/shop',
      FERRY_EVENT: 'pr',
      FERRY_BRANCH: 'feature/a',
      FERRY_TARGET_BRANCH: 'main',
      FERRY_PR_NUMBER: '5',
    });
    expect(artifact.version).toMatchObject({ event: 'pr', sourceBranch: 'feature/a', targetBranch: 'main' });
    expect(artifact.vars).toMatchObject({ PR_NUMBER: '5', EVENT: 'pr' });
  });

  it('exits 2 naming what to set when there is no repository or no commit', async () => {
    const noRemote = await runCli(['artifact', 'push', '--print', '--dir', gitRepo()]);
    expect(noRemote.code).toBe(2);
    expect(noRemote.stderr).toMatch(/^ferry: cannot tell the repository: set FERRY_REPOSITORY/);
    const noClone = await runCli(['artifact', 'push', '--print'], {
      cwd: tempDir(),
      env: { FERRY_REPOSITORY: 'acme/shop' },
    });
    expect(noClone.code).toBe(2);
    expect(noClone.stderr).toContain('set FERRY_SHA');
  });

  it('exits 2 on a FERRY_EVENT that is not push, tag or pr', async () => {
    const run = await runCli(['artifact', 'push', '--print', '--dir', gitRepo()], {
      env: { FERRY_REPOSITORY: 'acme/shop', FERRY_EVENT: 'pull_request' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('FERRY_EVENT must be one of push, tag, pr');
  });

  it('describes a shallow PR merge checkout by the merge commit when the head commit is not fetched', async () => {
    // Prepare: origin has main, a feature commit and a --no-ff merge; the CI clone has only the merge.
    const origin = gitRepo();
    git(origin, 'checkout', '-q', '-b', 'feature');
    git(origin, 'commit', '-q', '--allow-empty', '-m', 'Feature work');
    const head = git(origin, 'rev-parse', 'HEAD');
    git(origin, 'checkout', '-q', 'main');
    git(origin, 'merge', '-q', '--no-ff', '-m', 'Merge feature into main', 'feature');
    const clone = tempDir();
    git(clone, 'clone', '-q', '--depth', '1', `file://${origin}`, '.');
    // Act
    const info = await commitInfo(clone, head);
    // Assess
    expect(info?.message).toBe('Merge feature into main');
    expect(await commitInfo(clone, 'f'.repeat(40))).toBeUndefined();
  });
});

describe('.gimlet folder', () => {
  it('reads every .yaml and .yml file in name order, and vars in dotenv form', async () => {
    // Prepare
    const dir = gitRepo({
      '.gimlet/production.yml': 'app: shop\nenv: production\nchart:\n  name: onechart\n',
      '.gimlet/staging.yaml': STAGING,
      '.gimlet/README.md': 'not a manifest',
      '.gimlet/preview.yaml/keep': 'a directory named like a manifest',
      '.gimlet/vars': [
        '# image settings',
        '',
        'IMAGE=ghcr.io/acme/shop',
        'export REPLICAS = 2',
        'GREETING="hello world"',
        "QUOTED='single'",
        'FRAGMENT=https://example.com/#top',
        'EMPTY=',
      ].join('\n'),
    });
    git(dir, 'remote', 'add', 'origin', 'https://github.com/acme/shop.git');
    // Act
    const artifact = await print(dir);
    // Assess
    expect(artifact.environments.map((m: { env: string }) => m.env)).toEqual(['production', 'staging']);
    expect(artifact.vars).toMatchObject({
      IMAGE: 'ghcr.io/acme/shop',
      REPLICAS: '2',
      GREETING: 'hello world',
      QUOTED: 'single',
      FRAGMENT: 'https://example.com/#top',
      EMPTY: '',
    });
  });

  it('exits 2 naming the file when a manifest is not valid YAML or not one mapping', async () => {
    const broken = gitRepo({ '.gimlet/staging.yaml': 'app: shop\nvalues: [1\n' });
    const run = await runCli(['artifact', 'push', '--print', '--dir', broken], {
      env: { FERRY_REPOSITORY: 'a/b' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ferry: \.gimlet\/staging\.yaml is not valid YAML: /);

    const twoDocs = gitRepo({ '.gimlet/both.yaml': `${STAGING}---\n${STAGING}` });
    const again = await runCli(['artifact', 'push', '--print', '--dir', twoDocs], {
      env: { FERRY_REPOSITORY: 'a/b' },
    });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('.gimlet/both.yaml is not valid YAML');

    const list = gitRepo({ '.gimlet/list.yaml': '- app: shop\n' });
    const third = await runCli(['artifact', 'push', '--print', '--dir', list], {
      env: { FERRY_REPOSITORY: 'a/b' },
    });
    expect(third.stderr).toContain('.gimlet/list.yaml must hold one manifest (a YAML mapping), got array');
  });

  it('exits 2 naming the line of a malformed .gimlet/vars', async () => {
    const dir = gitRepo({ '.gimlet/vars': 'A=1\nthis is not a variable\n' });
    const run = await runCli(['artifact', 'push', '--print', '--dir', dir], {
      env: { FERRY_REPOSITORY: 'a/b' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('ferry: .gimlet/vars:2: expected KEY=value\n');
  });
});

describe('repositoryFromRemote', () => {
  it.each([
    ['https://github.com/acme/shop.git', 'acme/shop'],
    ['https://x-access-token:secret@github.com/acme/shop', 'acme/shop'],
    ['git@github.com:acme/shop.git', 'acme/shop'],
    ['ssh://git@gitlab.example:2222/group/sub/shop.git', 'group/sub/shop'],
    ['/srv/git/shop.git', undefined],
    ['https://github.com/shop', undefined],
  ])('reads %s as %s', (url, repository) => {
    expect(repositoryFromRemote(url)).toBe(repository);
  });
});

describe('shipping', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer((req) =>
      req.body.environments.some((m: { app: string }) => m.app === 'Bad')
        ? {
            status: 400,
            body: {
              error: { code: 'invalid_request', message: 'environments[1].app: must be a DNS-1123 label' },
            },
          }
        : { status: 201, body: { ...req.body, id: 'acme/shop-1234', created: 1767323045 } },
    );
  });
  afterAll(() => server.close());

  it('POSTs the artifact with the bearer token and prints the id', async () => {
    const dir = gitRepo({ '.gimlet/staging.yaml': STAGING });
    const run = await runCli(['artifact', 'push', '--dir', dir], {
      env: { FERRY_SERVER: server.url, FERRY_TOKEN: TOKEN, FERRY_REPOSITORY: 'acme/shop' },
    });
    expect(run).toEqual({ code: 0, stdout: 'acme/shop-1234\n', stderr: '' });
    const request = server.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/api/artifact');
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(parseArtifact(request?.body).version.repositoryName).toBe('acme/shop');
  });

  it('prints the stored artifact with -o json', async () => {
    const dir = gitRepo({ '.gimlet/staging.yaml': STAGING });
    const run = await runCli(['artifact', 'push', '-o', 'json', '--dir', dir], {
      env: { GIMLET_SERVER: server.url, GIMLET_TOKEN: TOKEN, FERRY_REPOSITORY: 'acme/shop' },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      id: 'acme/shop-1234',
      version: { repositoryName: 'acme/shop' },
    });
  });

  it('refuses to ship from a missing --dir or one without manifests (exit 2, nothing sent)', async () => {
    const env = {
      FERRY_SERVER: server.url,
      FERRY_TOKEN: TOKEN,
      FERRY_REPOSITORY: 'acme/shop',
      FERRY_SHA: 'a'.repeat(40),
    };
    const sentBefore = server.requests.length;
    const missing = await runCli(['artifact', 'push', '--dir', '/nonexistent/typo'], { env });
    expect(missing).toMatchObject({ code: 2, stderr: 'ferry: --dir /nonexistent/typo: no such directory\n' });
    const empty = await runCli(['artifact', 'push', '--dir', gitRepo()], { env });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(
      'no manifests in .gimlet/ (*.yaml); an artifact without environments can never be released',
    );
    expect(server.requests.length).toBe(sentBefore);
  });

  it('names the .gimlet file behind a refused environments[i]', async () => {
    const dir = gitRepo({
      '.gimlet/a.yaml': STAGING,
      '.gimlet/b.yaml': 'app: Bad\nenv: staging\nmanifests: "a: b"\n',
    });
    const run = await runCli(['artifact', 'push', '--dir', dir], {
      env: { FERRY_SERVER: server.url, FERRY_TOKEN: TOKEN, FERRY_REPOSITORY: 'acme/shop' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'ferry: environments[1].app: must be a DNS-1123 label (HTTP 400); environments[1] is .gimlet/b.yaml\n',
    );
  });
});
