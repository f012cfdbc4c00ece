import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { makeDynamoArtifactStore } from '../../lib/adapters/dynamodb/artifact-store.ts';
import { ensureTable } from '../../lib/adapters/dynamodb/create-table.ts';
import { makeDynamoReleaseStore } from '../../lib/adapters/dynamodb/release-store.ts';
import { makeGitopsRepo } from '../../lib/adapters/git/gitops-repo.ts';
import { notifyChanges, type RequestChange } from '../../lib/app/notify.ts';
import { type WriterDeps, writeBatch } from '../../lib/app/write-batch.ts';
import { makeNotifyDeps } from '../../lib/compose/notify.ts';
import { isRetryable } from '../../lib/domain/errors.ts';
import { advance, type ReleaseRequest } from '../../lib/domain/release.ts';
import { localDynamoClient } from '../../lib/local/dynamodb-local.ts';
import { createBareRepo, type GitServer, startGitServer } from '../../lib/local/git/git-server.ts';
import { makeLogger } from '../../lib/log/logger.ts';
import { artifact as artifactBody, recordRequest, storeArtifact } from '../fixtures/artifacts.ts';
import { testClock } from '../support/api.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { type FaultyProxy, startFaultyProxy } from '../support/faulty-proxy.ts';

/**
 * Faults enter where a vendor client would meet them (an HTTP answer from the git remote, an AWS SDK error
 * from DynamoDB, an HTTP or `ok: false` answer from Slack) and everything else is the real local stand-in.
 * A transient fault is handed back for a retry and the retry ends well; a permanent one ends the work once,
 * with a reason, and is not tried again.
 */

/** An AWS SDK error as the SDK's deserializer builds it (name, $fault, $metadata; $retryable when throttled). */
function sdkError(name: string, status: number, throttling = false): Error {
  return Object.assign(new Error(`${name}: injected`), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    ...(throttling ? { $retryable: { throttling: true } } : {}),
  });
}

/**
 * Makes the next `count` calls of `command` on `client` fail with `error`, after the SDK's own retries
 * (the middleware sits before the retry step), so the fault reaches Ferry's adapter as a final answer.
 */
function failCommand(client: DynamoDBClient, command: string, error: Error, count: number): () => number {
  let left = count;
  const name = `fault-${randomUUID()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === command && left > 0) {
        left -= 1;
        throw error;
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return () => count - left;
}

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

describe('faults: the writer', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-faults-'));
  const endpoint = inject('dynamoEndpoint');
  const dynamo = localDynamoClient(endpoint);
  const tableName = `f-${randomUUID()}`;
  const releases = makeDynamoReleaseStore(dynamo, tableName);
  const artifacts = makeDynamoArtifactStore(dynamo, tableName);
  const clock = testClock();
  let server: GitServer;
  let proxy: FaultyProxy;
  let bare: string;

  const writer = (overrides: Partial<WriterDeps> = {}): WriterDeps => ({
    releases,
    artifacts,
    clock,
    logger: makeLogger(() => {}),
    repo: makeGitopsRepo({
      url: `${proxy.url}/gitops.git`,
      branch: 'main',
      cacheDir: mkdtempSync(join(root, 'cache-')),
    }),
    pushTries: 2,
    ...overrides,
  });
  const commits = () =>
    Number(execFileSync('git', ['-C', bare, 'rev-list', '--count', 'main'], { encoding: 'utf8' }).trim());

  async function deployRequest(app: string): Promise<ReleaseRequest> {
    const shipped = await storeArtifact(
      artifacts,
      clock,
      artifactBody({}, [{ app, env: 'staging', manifests: configMap(app, randomUUID()) }]),
    );
    return recordRequest(releases, clock, 'deploy', app, { artifactId: shipped.id });
  }

  beforeAll(async () => {
    await ensureTable(dynamo, tableName);
    bare = await createBareRepo(join(root, 'git'), 'gitops.git');
    server = await startGitServer({ root: join(root, 'git') });
    proxy = await startFaultyProxy(server.url);
    await writeBatch(writer(), [{ messageId: 'seed', requestId: (await deployRequest('seed')).id }]);
  }, 60_000);
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** The first delivery meets the fault and is handed back untouched; the next one commits it. */
  async function handedBackThenCommitted(requestId: string): Promise<void> {
    const first = await writeBatch(writer(), [{ messageId: 'a', requestId }]);
    const afterFault = await releases.get(requestId);
    const second = await writeBatch(writer(), [{ messageId: 'b', requestId }]);
    expect(first).toEqual(['a']);
    expect(afterFault?.state).toBe('requested');
    expect(second).toEqual([]);
    expect((await releases.get(requestId))?.state).toBe('committed');
  }

  it('hands a batch back when the git remote answers 503, and commits it once on the retry', async () => {
    // Prepare
    const request = await deployRequest('git-503');
    const before = commits();
    proxy.failNext(1, 503);
    // Act and assess
    await handedBackThenCommitted(request.id);
    expect(commits()).toBe(before + 1);
  });

  it('fails the release once, with the reason, when the git remote refuses (403), and asks once', async () => {
    // Prepare
    const request = await deployRequest('git-403');
    const before = { commits: commits(), requests: proxy.requests };
    proxy.failNext(1, 403);
    // Act
    const retry = await writeBatch(writer(), [{ messageId: 'a', requestId: request.id }]);
    // Assess
    const stored = await releases.get(request.id);
    expect(retry).toEqual([]);
    expect(stored?.state).toBe('failed');
    expect(stored?.reason).toMatch(/403/);
    expect(proxy.requests - before.requests).toBe(1);
    expect(commits()).toBe(before.commits);
  });

  it('hands a rollback back when deepening the clone fails for now, instead of "never changed" (failed)', async () => {
    // Prepare: the target is a day old, beyond what a fresh shallow clone and its time window fetch, so the
    // writer must deepen to find it; that one fetch fails with 503.
    const work = join(root, `work-${randomUUID()}`);
    const run = (args: string[], env: Record<string, string> = {}) =>
      execFileSync('git', args, { cwd: work, encoding: 'utf8', env: { ...process.env, ...env } }).trim();
    execFileSync('git', ['clone', '-q', bare, work]);
    const dayAgo = `${Math.floor(Date.now() / 1000) - 86_400} +0000`;
    const identity = {
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@x',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@x',
    };
    execFileSync('mkdir', ['-p', join(work, 'staging/rb')]);
    execFileSync('sh', ['-c', `printf 'a: 1\n' > ${join(work, 'staging/rb/config.json')}`]);
    run(['add', '-A']);
    run(['commit', '-qm', 'rb v1'], { ...identity, GIT_AUTHOR_DATE: dayAgo, GIT_COMMITTER_DATE: dayAgo });
    const target = run(['rev-parse', 'HEAD']);
    execFileSync('sh', ['-c', `printf 'a: 2\n' > ${join(work, 'staging/rb/config.json')}`]);
    run(['commit', '-qam', 'rb v2'], identity);
    run(['push', '-q', 'origin', 'HEAD:main']);
    const request = await recordRequest(releases, clock, 'rollback', 'rb', { targetSha: target });
    proxy.failMatching(/deepen 64/, 503);
    // Act and assess
    await handedBackThenCommitted(request.id);
  });

  it('hands a batch back when DynamoDB throttles the outcome, and records the pushed commit on the retry', async () => {
    // Prepare: a client of its own, so the fault touches only this writer.
    const faulty = localDynamoClient(endpoint);
    // Three refusals: the batch's one transaction, its retry after re-reading, then the one-by-one write.
    const injected = failCommand(
      faulty,
      'TransactWriteItemsCommand',
      sdkError('ProvisionedThroughputExceededException', 400, true),
      3,
    );
    const request = await deployRequest('dynamo-throttled');
    const before = commits();
    // Act
    const first = await writeBatch(writer({ releases: makeDynamoReleaseStore(faulty, tableName) }), [
      { messageId: 'a', requestId: request.id },
    ]);
    const second = await writeBatch(writer(), [{ messageId: 'b', requestId: request.id }]);
    // Assess
    expect(injected()).toBe(3);
    expect(first).toEqual(['a']);
    expect(second).toEqual([]);
    const stored = await releases.get(request.id);
    expect(stored?.state).toBe('committed');
    expect(commits()).toBe(before + 1);
  });

  it('fails the release once, with the reason, when DynamoDB refuses for good (AccessDenied)', async () => {
    // Prepare: reading the artifact is refused, as an IAM policy without dynamodb:GetItem would.
    const faulty = localDynamoClient(endpoint);
    const injected = failCommand(faulty, 'GetItemCommand', sdkError('AccessDeniedException', 400), 1);
    const request = await deployRequest('dynamo-denied');
    const before = commits();
    // Act
    const retry = await writeBatch(writer({ artifacts: makeDynamoArtifactStore(faulty, tableName) }), [
      { messageId: 'a', requestId: request.id },
    ]);
    // Assess
    expect(injected()).toBe(1);
    expect(retry).toEqual([]);
    const stored = await releases.get(request.id);
    expect(stored?.state).toBe('failed');
    expect(stored?.reason).toMatch(/AccessDeniedException/);
    expect(commits()).toBe(before);
  });
});

describe('faults: the notifier', () => {
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const tableName = `fn-${randomUUID()}`;
  const clock = testClock();
  const TOKEN = 'xoxb-faults-token';
  let slack: FakeSlack;
  let logs: string[];

  const deps = (token = TOKEN) =>
    makeNotifyDeps({
      dynamo,
      tableName,
      clock,
      logger: makeLogger((line) => logs.push(line)),
      slack: {
        token,
        apiUrl: slack.url,
        channels: { '*': '#deploys' },
        retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
      },
    });

  /** A delete that reached `committed`: worth a Slack message, no artifact or GitHub status needed. */
  function committed(): RequestChange {
    const at = clock.now().toISOString();
    const before: ReleaseRequest = {
      id: randomUUID(),
      intent: 'delete',
      env: 'staging',
      app: 'api',
      triggeredBy: 'alice',
      createdAt: at,
      state: 'queued',
      states: [{ state: 'queued', at }],
    };
    const after = advance(before, { state: 'committed', gitopsSha: 'a'.repeat(40), at });
    if (!after) throw new Error('cannot commit');
    return { before, after };
  }

  beforeAll(async () => {
    await ensureTable(dynamo, tableName);
  });
  beforeEach(async () => {
    logs = [];
    slack = await startFakeSlack(TOKEN);
  });
  afterEach(async () => {
    await slack.close();
  });

  it('hands a change back when Slack keeps answering 500, and posts it once on the retry', async () => {
    // Prepare: more 500s than the client's own retries.
    const change = committed();
    slack.failNext(2, 500);
    // Act
    const first = await notifyChanges(deps(), [change]);
    const second = await notifyChanges(deps(), [change]);
    // Assess
    expect(first).toEqual([0]);
    expect(second).toEqual([]);
    expect(slack.messages.size).toBe(1);
  });

  it('does not retry a change Slack refuses for good (invalid_auth), and logs why', async () => {
    // Prepare
    const change = committed();
    // Act
    const failed = await notifyChanges(deps('xoxb-wrong-token'), [change]);
    // Assess
    expect(failed).toEqual([]);
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
    const reasons = logs
      .map((line) => JSON.parse(line) as { reason?: string })
      .flatMap((r) => r.reason ?? []);
    expect(reasons.some((r) => r.includes('invalid_auth'))).toBe(true);
  });
});

describe('isRetryable on the translated errors', () => {
  it('says yes to throttling and 5xx, no to refusals and bugs', () => {
    expect(isRetryable(sdkError('ThrottlingException', 400, true))).toBe(true);
    expect(isRetryable(sdkError('InternalServerError', 500))).toBe(true);
    expect(isRetryable(sdkError('AccessDeniedException', 400))).toBe(false);
    expect(isRetryable(new TypeError('x is undefined'))).toBe(false);
  });
});
