import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeDynamoArtifactStore } from '../../lib/adapters/dynamodb/artifact-store.ts';
import { ensureTable } from '../../lib/adapters/dynamodb/create-table.ts';
import { makeDynamoReleaseStore } from '../../lib/adapters/dynamodb/release-store.ts';
import { makeGitopsRepo } from '../../lib/adapters/git/gitops-repo.ts';
import type { ReleaseStore } from '../../lib/app/ports.ts';
import { type WriterDeps, writeBatch } from '../../lib/app/write-batch.ts';
import type { Artifact } from '../../lib/domain/artifact.ts';
import type { ReleaseRequest } from '../../lib/domain/release.ts';
import { localDynamoClient } from '../../lib/local/dynamodb-local.ts';
import { createBareRepo, type GitServer, startGitServer } from '../../lib/local/git/git-server.ts';
import { makeLogger } from '../../lib/log/logger.ts';
import {
  artifact as artifactBody,
  recordRequest,
  storeArtifact as storeArtifactIn,
} from '../fixtures/artifacts.ts';
import { testClock } from '../support/api.ts';

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

describe('the writer', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-writer-'));
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const tableName = `w-${randomUUID()}`;
  const releases = makeDynamoReleaseStore(dynamo, tableName);
  const artifacts = makeDynamoArtifactStore(dynamo, tableName);
  const clock = testClock();
  const logs: string[] = [];
  let server: GitServer;
  let bare: string;
  let url: string;

  /** A writer as a fresh Lambda would build it: its own clone directory unless one is handed in. */
  const writer = (overrides: Partial<WriterDeps> = {}, cacheDir = mkdtempSync(join(root, 'cache-'))) => ({
    releases,
    artifacts,
    clock,
    logger: makeLogger((line) => logs.push(line)),
    repo: makeGitopsRepo({ url, branch: 'main', cacheDir }),
    ...overrides,
  });
  const git = (...args: string[]) => execFileSync('git', ['-C', bare, ...args], { encoding: 'utf8' }).trim();
  const commitCount = () => Number(git('rev-list', '--count', 'main'));

  async function storeArtifact(environments: unknown[]): Promise<Artifact> {
    return storeArtifactIn(artifacts, clock, artifactBody({}, environments));
  }

  async function deployRequest(app: string, value: string): Promise<ReleaseRequest> {
    const shipped = await storeArtifact([{ app, env: 'staging', manifests: configMap(app, value) }]);
    return recordRequest(releases, clock, 'deploy', app, { artifactId: shipped.id });
  }

  beforeAll(async () => {
    await ensureTable(dynamo, tableName);
    bare = await createBareRepo(join(root, 'git'), 'gitops.git');
    server = await startGitServer({ root: join(root, 'git') });
    url = server.repoUrl('gitops.git');
    // Give the branch a first commit so counts below are simple.
    await writeBatch(writer(), [{ messageId: 'm0', requestId: (await deployRequest('seed', 'x')).id }]);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('records a commit that reached the remote before a crash, on redelivery, without committing again', async () => {
    // Prepare: the first attempt pushes, then "crashes" before it can record or acknowledge.
    const request = await deployRequest('crash', 'v1');
    const crashing: ReleaseStore = {
      ...releases,
      recordOutcome: async () => {
        throw new Error('Lambda timed out');
      },
      recordOutcomes: async () => {
        throw new Error('Lambda timed out');
      },
    };
    const before = commitCount();
    // Act
    const retried = await writeBatch(writer({ releases: crashing }), [
      { messageId: 'a', requestId: request.id },
    ]);
    const afterCrash = commitCount();
    const redelivered = await writeBatch(writer(), [{ messageId: 'b', requestId: request.id }]);
    // Assess
    expect(retried).toEqual(['a']);
    expect(afterCrash).toBe(before + 1);
    expect(redelivered).toEqual([]);
    expect(commitCount()).toBe(before + 1);
    const stored = await releases.get(request.id);
    expect(stored?.state).toBe('committed');
    expect(stored?.gitopsSha).toBe(git('rev-parse', 'main'));
  });

  it('commits a request delivered twice only once, in one batch or in two', async () => {
    const request = await deployRequest('twice', 'v1');
    const before = commitCount();
    const warm = writer();
    await writeBatch(warm, [
      { messageId: 'a', requestId: request.id },
      { messageId: 'b', requestId: request.id },
    ]);
    await writeBatch(warm, [{ messageId: 'c', requestId: request.id }]);
    expect(commitCount()).toBe(before + 1);
    const stored = await releases.get(request.id);
    expect(stored?.states.map((s) => s.state)).toEqual(['requested', 'committed']);
  });

  it('keeps the diff each commit made, the same lines git shows, for deploys and rollbacks', async () => {
    const changedLines = (diff: string) =>
      diff
        .split('\n')
        .filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l))
        .sort();
    // The whole commit, as git shows it: the folder and the Flux Kustomization written beside it.
    const gitDiff = (sha: string) => git('diff', `${sha}^`, sha).split('\n');
    const first = await deployRequest('diffed', 'v1');
    await writeBatch(writer(), [{ messageId: 'd1', requestId: first.id }]);
    const second = await deployRequest('diffed', 'v2');
    await writeBatch(writer(), [{ messageId: 'd2', requestId: second.id }]);
    const shaOf = async (id: string) => (await releases.get(id))?.gitopsSha as string;
    const rollback = await recordRequest(releases, clock, 'rollback', 'diffed', {
      targetSha: await shaOf(first.id),
    });
    await writeBatch(writer(), [{ messageId: 'd3', requestId: rollback.id }]);
    for (const [request, removed, added] of [
      [first, undefined, 'v1'],
      [second, 'v1', 'v2'],
      [rollback, 'v2', 'v1'],
    ] as const) {
      const sha = await shaOf(request.id);
      const kept = (await releases.findCommit('staging', 'diffed', sha))?.diff;
      expect(kept?.changes.map((c) => c.path)).toContain('staging/diffed/configmap-diffed.yaml');
      expect(kept?.diff).toContain(`+  value: "${added}"`);
      if (removed) expect(kept?.diff).toContain(`-  value: "${removed}"`);
      expect(changedLines(kept?.diff ?? '')).toEqual(changedLines(gitDiff(sha).join('\n')));
    }
  });

  it('makes one commit per request and one push per batch, in queue order', async () => {
    const requests = await Promise.all(['one', 'two', 'three'].map((app) => deployRequest(app, 'v1')));
    const before = commitCount();
    const pushes: string[] = [];
    const repo = writer().repo;
    const counting = {
      ...repo,
      push: (expected: string | undefined, head: string) => {
        pushes.push(head);
        return repo.push(expected, head);
      },
    };
    await writeBatch(
      writer({ repo: counting }),
      requests.map((r, i) => ({ messageId: String(i), requestId: r.id })),
    );
    expect(commitCount()).toBe(before + 3);
    expect(pushes).toHaveLength(1);
    const subjects = git('log', '-3', '--format=%s', 'main').split('\n').reverse();
    expect(subjects.map((s) => s.split(' ')[2])).toEqual(['staging/one', 'staging/two', 'staging/three']);
  });

  it('ends a request whose artifact is gone as failed, and still commits the others of the batch', async () => {
    const good = await deployRequest('good', 'v1');
    const orphan = await deployRequest('orphan', 'v1');
    await dynamo.send(
      new (await import('@aws-sdk/client-dynamodb')).DeleteItemCommand({
        TableName: tableName,
        Key: { pk: { S: `ARTIFACT#${orphan.artifactId}` }, sk: { S: 'BODY' } },
      }),
    );
    const retry = await writeBatch(writer(), [
      { messageId: 'bad', requestId: orphan.id },
      { messageId: 'ok', requestId: good.id },
    ]);
    expect(retry).toEqual([]);
    expect((await releases.get(orphan.id))?.reason).toBe(`artifact ${orphan.artifactId} not found`);
    expect((await releases.get(good.id))?.state).toBe('committed');
  });

  it('ends a deploy of content the folder already holds as unchanged, with no commit', async () => {
    const first = await deployRequest('same', 'v1');
    const warm = writer();
    await writeBatch(warm, [{ messageId: 'a', requestId: first.id }]);
    const again: ReleaseRequest = {
      ...first,
      id: randomUUID(),
      triggeredBy: 'bob',
      state: 'requested',
      states: [{ state: 'requested', at: clock.now().toISOString() }],
    };
    await releases.create({
      request: again,
      audit: {
        id: randomUUID(),
        at: again.createdAt,
        actor: 'bob',
        tokenId: 't',
        action: 'release.deploy',
        target: again.id,
      },
    });
    const before = commitCount();
    await writeBatch(warm, [{ messageId: 'b', requestId: again.id }]);
    expect(commitCount()).toBe(before);
    const stored = await releases.get(again.id);
    expect(stored).toMatchObject({
      state: 'unchanged',
      reason: 'staging/same already holds this release; nothing to commit',
    });
    expect(stored?.gitopsSha).toBeUndefined();
  });

  it('fetches and re-applies when another writer pushes between its fetch and its push, keeping both', async () => {
    // Prepare: right after the writer's first fetch, someone else pushes to the branch.
    const outside = mkdtempSync(join(root, 'outside-'));
    const identity = {
      GIT_AUTHOR_NAME: 'o',
      GIT_AUTHOR_EMAIL: 'o@x',
      GIT_COMMITTER_NAME: 'o',
      GIT_COMMITTER_EMAIL: 'o@x',
    };
    const pushOutside = () => {
      execFileSync('git', ['clone', '-q', url, outside]);
      execFileSync('git', ['-C', outside, 'commit', '-q', '--allow-empty', '-m', 'outside change'], {
        env: { ...process.env, ...identity },
      });
      execFileSync('git', ['-C', outside, 'push', '-q', 'origin', 'HEAD:main']);
      return execFileSync('git', ['-C', outside, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    };
    const repo = writer().repo;
    let syncs = 0;
    let outsideSha = '';
    const racing = {
      ...repo,
      sync: async () => {
        const head = await repo.sync();
        if (++syncs === 1) outsideSha = pushOutside();
        return head;
      },
    };
    const request = await deployRequest('raced', 'v1');
    // Act
    const retry = await writeBatch(writer({ repo: racing }), [{ messageId: 'x', requestId: request.id }]);
    // Assess: the first push lost, the second landed on top of the outside commit.
    expect(retry).toEqual([]);
    expect(syncs).toBe(2);
    const stored = await releases.get(request.id);
    expect(git('rev-parse', `${stored?.gitopsSha}^`)).toBe(outsideSha);
    expect(git('rev-parse', 'main')).toBe(stored?.gitopsSha);
  });
});
