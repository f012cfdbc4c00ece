import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeDynamoArtifactStore } from '../../lib/adapters/dynamodb/artifact-store.ts';
import { ensureTable } from '../../lib/adapters/dynamodb/create-table.ts';
import { makeDynamoReleaseStore } from '../../lib/adapters/dynamodb/release-store.ts';
import { makeGitopsRepo } from '../../lib/adapters/git/gitops-repo.ts';
import { makeSqsWriteQueue } from '../../lib/adapters/sqs/write-queue.ts';
import { dispatchRequests } from '../../lib/app/dispatch.ts';
import type { ArtifactStore } from '../../lib/app/ports.ts';
import { type QueuedWrite, type WriterDeps, writeBatch } from '../../lib/app/write-batch.ts';
import { UnavailableError } from '../../lib/domain/errors.ts';
import type { Intent, ReleaseRequest } from '../../lib/domain/release.ts';
import { localDynamoClient } from '../../lib/local/dynamodb-local.ts';
import { createBareRepo, type GitServer, startGitServer } from '../../lib/local/git/git-server.ts';
import { makeLogger } from '../../lib/log/logger.ts';
import { artifact as artifactBody, recordRequest, storeArtifact } from '../fixtures/artifacts.ts';
import { testClock } from '../support/api.ts';

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

/**
 * Per `<env>/<app>`, requests take effect in the order they were recorded under every fault (DESIGN.md
 * §1): a failed message is not overtaken, a partly failed send does not reorder, and an older request
 * arriving late (relay out of order, DLQ redrive) ends `superseded` instead of overwriting a newer one.
 */
describe('per-app order under faults', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-order-'));
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const tableName = `o-${randomUUID()}`;
  const releases = makeDynamoReleaseStore(dynamo, tableName);
  const artifacts = makeDynamoArtifactStore(dynamo, tableName);
  const clock = testClock();
  let server: GitServer;
  let bare: string;
  let url: string;

  const writer = (overrides: Partial<WriterDeps> = {}): WriterDeps => ({
    releases,
    artifacts,
    clock,
    logger: makeLogger(() => {}),
    repo: makeGitopsRepo({ url, branch: 'main', cacheDir: mkdtempSync(join(root, 'cache-')) }),
    ...overrides,
  });
  const git = (...args: string[]) => execFileSync('git', ['-C', bare, ...args], { encoding: 'utf8' }).trim();
  const deployedValue = (app: string) => {
    try {
      return /value: "(.*)"/.exec(git('show', `main:staging/${app}/configmap-${app}.yaml`))?.[1];
    } catch {
      return undefined;
    }
  };
  const message = (id: string, request: ReleaseRequest): QueuedWrite => ({
    messageId: id,
    requestId: request.id,
    groupId: `staging/${request.app}`,
  });

  const request = (intent: Intent, app: string, extra: Partial<ReleaseRequest> = {}) =>
    recordRequest(releases, clock, intent, app, extra);

  async function deploy(app: string, value: string): Promise<ReleaseRequest> {
    const shipped = await storeArtifact(
      artifacts,
      clock,
      artifactBody({}, [{ app, env: 'staging', manifests: configMap(app, value) }]),
    );
    return request('deploy', app, { artifactId: shipped.id });
  }

  beforeAll(async () => {
    await ensureTable(dynamo, tableName);
    bare = await createBareRepo(join(root, 'git'), 'gitops.git');
    server = await startGitServer({ root: join(root, 'git') });
    url = server.repoUrl('gitops.git');
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('numbers the requests of one app in the order they are recorded, even when recorded at once', async () => {
    // Act
    const made = await Promise.all([1, 2, 3, 4, 5].map((n) => deploy('counted', `v${n}`)));
    const other = await deploy('counted-too', 'v1');
    // Assess: five distinct numbers with no gap, and another app counts on its own.
    expect(made.map((r) => r.sequence).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await releases.get(made[0]?.id ?? ''))?.sequence).toBe(made[0]?.sequence);
    expect(other.sequence).toBe(1);
  });

  it('returns a failed message and every later one of its group, so the older never lands last', async () => {
    // Prepare: the artifact read of the first web request is throttled once.
    const older = await deploy('web', 'v1');
    const newer = await deploy('web', 'v2');
    const api = await deploy('api', 'v1');
    let throttled = false;
    const flaky: ArtifactStore = {
      ...artifacts,
      get: async (id) => {
        if (id === older.artifactId && !throttled) {
          throttled = true;
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        }
        return artifacts.get(id);
      },
    };
    // Act: the batch, then SQS's redelivery of what it returned.
    const retry = await writeBatch(writer({ artifacts: flaky }), [
      message('m1', older),
      message('m2', newer),
      message('m3', api),
    ]);
    const afterFirst = deployedValue('web');
    const again = await writeBatch(writer({ artifacts: flaky }), [
      message('m1', older),
      message('m2', newer),
    ]);
    // Assess: the other app went ahead; web waited and then applied in order.
    expect(retry).toEqual(['m1', 'm2']);
    expect(afterFirst).toBeUndefined();
    expect(deployedValue('api')).toBe('v1');
    expect(again).toEqual([]);
    expect(deployedValue('web')).toBe('v2');
    expect((await releases.get(older.id))?.state).toBe('committed');
    expect((await releases.get(newer.id))?.state).toBe('committed');
  });

  it('supersedes an older request the relay delivers after a newer one, in one batch or two', async () => {
    // Prepare: stream shards relay per item, so the newer request can reach the queue first.
    const older = await deploy('relay', 'v1');
    const newer = await deploy('relay', 'v2');
    const inBatchOld = await deploy('relay-one', 'v1');
    const inBatchNew = await deploy('relay-one', 'v2');
    const commits = Number(git('rev-list', '--count', 'main'));
    // Act
    await writeBatch(writer(), [message('n', newer)]);
    const late = await writeBatch(writer(), [message('o', older)]);
    await writeBatch(writer(), [message('b', inBatchNew), message('a', inBatchOld)]);
    // Assess: the newer content stays, the older request says why it did nothing, and no commit was made for it.
    expect(late).toEqual([]);
    expect(deployedValue('relay')).toBe('v2');
    expect(deployedValue('relay-one')).toBe('v2');
    expect(Number(git('rev-list', '--count', 'main'))).toBe(commits + 2);
    const stale = await releases.get(older.id);
    expect(stale?.state).toBe('superseded');
    expect(stale?.reason).toMatch(/a newer request for staging\/relay \(sequence \d+\) was written first/);
    expect(stale?.gitopsSha).toBeUndefined();
    expect((await releases.get(inBatchOld.id))?.state).toBe('superseded');
  });

  it('supersedes a stale deploy redriven from the DLQ after a newer delete or rollback of the app', async () => {
    // Prepare: deploys that went to the DLQ while newer requests for the same app were written.
    const first = await deploy('gone', 'v1');
    await writeBatch(writer(), [message('1', first)]);
    const stuck = await deploy('gone', 'v2');
    const removal = await request('delete', 'gone');
    await writeBatch(writer(), [message('2', removal)]);

    const base = await deploy('back', 'v1');
    await writeBatch(writer(), [message('3', base)]);
    const baseSha = (await releases.get(base.id))?.gitopsSha;
    const stuckToo = await deploy('back', 'v2');
    const rollback = await request('rollback', 'back', { targetSha: baseSha });
    await writeBatch(writer(), [message('4', rollback)]);
    // Act: the DLQ is redriven.
    await writeBatch(writer(), [message('5', stuck), message('6', stuckToo)]);
    // Assess
    expect(deployedValue('gone')).toBeUndefined();
    expect((await releases.get(stuck.id))?.state).toBe('superseded');
    expect(deployedValue('back')).toBe('v1');
    expect((await releases.get(stuckToo.id))?.state).toBe('superseded');
  });

  it('applies a request redriven from the DLQ normally when it is still the newest of its app', async () => {
    // Prepare: the request failed its tries (artifact reads kept failing) and sat in the DLQ.
    const current = await deploy('redrive', 'v1');
    await writeBatch(writer(), [message('1', current)]);
    const parked = await deploy('redrive', 'v2');
    const failing: ArtifactStore = {
      ...artifacts,
      get: async () => {
        // What an adapter throws for a fault that can pass (a plain Error would be a bug: permanent).
        throw new UnavailableError('service unavailable');
      },
    };
    expect(await writeBatch(writer({ artifacts: failing }), [message('2', parked)])).toEqual(['2']);
    // Act
    const retry = await writeBatch(writer(), [message('3', parked)]);
    // Assess
    expect(retry).toEqual([]);
    expect(deployedValue('redrive')).toBe('v2');
    const stored = await releases.get(parked.id);
    expect(stored?.state).toBe('committed');
    expect(parked.sequence).toBe(2);
    expect(JSON.parse(git('show', 'main:staging/redrive/release.json')).sequence).toBe(2);
  });

  it('never sends a later request of a group after an earlier one of it failed to send', async () => {
    // Prepare: SQS accepts every entry except the first web request.
    const first = await deploy('sent', 'v1');
    const second = await deploy('sent', 'v2');
    const other = await deploy('sent-other', 'v1');
    const sent: { groupId: string; body: string }[] = [];
    const sqs = {
      send: async (command: {
        input: { Entries: { Id: string; MessageBody: string; MessageGroupId: string }[] };
      }) => {
        const Failed: { Id: string; Code: string; SenderFault: boolean }[] = [];
        const Successful: { Id: string }[] = [];
        for (const entry of command.input.Entries) {
          if (JSON.parse(entry.MessageBody).requestId === first.id) {
            Failed.push({ Id: entry.Id, Code: 'InternalError', SenderFault: false });
          } else {
            sent.push({ groupId: entry.MessageGroupId, body: entry.MessageBody });
            Successful.push({ Id: entry.Id });
          }
        }
        return { Failed, Successful };
      },
    } as unknown as SQSClient;
    // Act
    const failed = await dispatchRequests(
      {
        releases,
        queue: makeSqsWriteQueue(sqs, 'https://sqs.local/q.fifo'),
        clock,
        logger: makeLogger(() => {}),
        gitopsRepo: url,
        gitopsBranch: 'main',
      },
      [second.id, first.id, other.id],
    );
    // Assess: the second waits for the first (the stream retries both); the other app went out.
    expect(failed.sort()).toEqual([first.id, second.id].sort());
    expect(sent.map((m) => JSON.parse(m.body).requestId)).toEqual([other.id]);
    expect((await releases.get(second.id))?.state).toBe('requested');
    expect((await releases.get(other.id))?.state).toBe('queued');
  });
});
