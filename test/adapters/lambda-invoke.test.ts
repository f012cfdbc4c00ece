import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeHandler as policyHandler } from '../../functions/stream-policy.ts';
import { makeHandler as routerHandler } from '../../functions/stream-router.ts';
import { makeDynamoArtifactStore } from '../../lib/adapters/dynamodb/artifact-store.ts';
import { ensureTable } from '../../lib/adapters/dynamodb/create-table.ts';
import { KEY } from '../../lib/adapters/dynamodb/schema.ts';
import type { StreamFailure } from '../../lib/adapters/dynamodb/stream-fanout.ts';
import { makeLambdaInvoke, remoteStreamHandler } from '../../lib/adapters/lambda/invoke.ts';
import { policyDeps } from '../../lib/compose/functions.ts';
import { STREAM_ROUTES } from '../../lib/config/stream-routes.ts';
import { DependencyError, UnavailableError } from '../../lib/domain/errors.ts';
import { localPlatform } from '../../lib/local/compose.ts';
import { LOCAL_CREDENTIALS, localDynamoClient } from '../../lib/local/dynamodb-local.ts';
import { silentLogger } from '../../lib/log/logger.ts';
import { artifact, storeArtifact } from '../fixtures/artifacts.ts';
import { testClock } from '../support/api.ts';
import { type LambdaApi, startLambdaApi } from '../support/lambda-api.ts';

const REGION = 'eu-west-1';
const POLICY_FN = 'Ferry-stream-policy-a1b2';
const NOTIFY_FN = 'Ferry-stream-notify-c3d4';

const artifactInsert = (seq: string, id: string) => ({
  eventName: 'INSERT',
  dynamodb: {
    SequenceNumber: seq,
    Keys: { [KEY.partition]: { S: `ARTIFACT#${id}` }, [KEY.sort]: { S: 'META' } },
  },
});
const requestModify = (seq: string) => ({
  eventName: 'MODIFY',
  dynamodb: { SequenceNumber: seq, Keys: { [KEY.partition]: { S: `REQUEST#${randomUUID()}` } } },
});
const streamEvent = (...records: unknown[]) => ({ Records: records }) as unknown as DynamoDBStreamEvent;
const route = (name: 'stream-policy' | 'stream-notify') =>
  STREAM_ROUTES.find((r) => r.name === name) as (typeof STREAM_ROUTES)[number];

describe('a stream route run as its own Lambda function', () => {
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const tableName = `invoke-${randomUUID()}`;
  const artifacts = makeDynamoArtifactStore(dynamo, tableName);
  const clock = testClock();
  let lambda: LambdaApi;
  let invoke: ReturnType<typeof makeLambdaInvoke>;

  beforeAll(async () => {
    await ensureTable(dynamo, tableName);
    // The real policy consumer behind the stand-in's Invoke API; the notifier's function crashes when told.
    const platform = localPlatform({
      dynamo,
      tableName,
      logger: silentLogger,
      clock,
      gitops: {
        url: 'https://git.example.com/acme/gitops.git',
        branch: 'main',
        cacheDir: join(mkdtempSync(join(tmpdir(), 'ferry-invoke-')), 'git'),
      },
    });
    lambda = await startLambdaApi({
      [POLICY_FN]: policyHandler(policyDeps(platform)),
      [NOTIFY_FN]: async () => ({ batchItemFailures: [] }),
      'echo-failure': async (event: DynamoDBStreamEvent) => ({
        batchItemFailures: [{ itemIdentifier: event.Records[1]?.dynamodb?.SequenceNumber }],
      }),
      'no-response': async () => undefined,
      'bad-response': async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-the-batch' }] }),
    });
    invoke = makeLambdaInvoke({
      region: REGION,
      endpoint: lambda.endpoint,
      credentials: async () => LOCAL_CREDENTIALS,
    });
  }, 60_000);

  afterAll(async () => {
    await lambda?.close();
    dynamo.destroy();
  });

  it('passes the consumer’s batch response through, from a signed synchronous invocation', async () => {
    // Prepare: an artifact the policy consumer has not evaluated yet.
    const stored = await storeArtifact(artifacts, clock, artifact());
    const event = streamEvent(artifactInsert('10', stored.id));
    // Act
    const response = await remoteStreamHandler(invoke, POLICY_FN)(event);
    const echoed = await remoteStreamHandler(
      invoke,
      'echo-failure',
    )(streamEvent(artifactInsert('11', 'a'), artifactInsert('12', 'b')));
    // Assess: the real consumer ran (the artifact is evaluated) and its answer came back as it was.
    expect(response).toEqual({ batchItemFailures: [] });
    expect((await artifacts.evaluation(stored.id))?.evaluation).toBeDefined();
    expect(echoed).toEqual({ batchItemFailures: [{ itemIdentifier: '12' }] });
    const call = lambda.calls.find((c) => c.functionName === POLICY_FN);
    expect(call).toMatchObject({ invocationType: 'RequestResponse', status: 200, payload: event });
    expect(call?.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${LOCAL_CREDENTIALS.accessKeyId}/\\d{8}/${REGION}/lambda/aws4_request, `,
      ),
    );
  });

  it('reads an answer as an event source mapping would: none is success, a foreign item fails the call', async () => {
    const event = streamEvent(artifactInsert('20', 'a'));
    expect(await remoteStreamHandler(invoke, 'no-response')(event)).toEqual({ batchItemFailures: [] });
    await expect(remoteStreamHandler(invoke, 'bad-response')(event)).rejects.toBeInstanceOf(DependencyError);
  });

  it('throws a retryable error for a crashed function or a throttle, a permanent one for a missing function', async () => {
    const event = streamEvent(artifactInsert('30', 'a'));
    lambda.failNext(NOTIFY_FN, 1, 'Unhandled');
    const crashed = await remoteStreamHandler(invoke, NOTIFY_FN)(event).catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(UnavailableError);
    expect((crashed as Error).message).toContain('the function failed (Unhandled): Runtime.ExitError');
    lambda.failNext(NOTIFY_FN, 1, 429);
    const throttled = await remoteStreamHandler(invoke, NOTIFY_FN)(event).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(UnavailableError);
    expect((throttled as Error).message).toContain('TooManyRequestsException (429)');
    const missing = await remoteStreamHandler(invoke, 'no-such-function')(event).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DependencyError);
    expect((missing as Error).message).toContain('ResourceNotFoundException (404)');
  });

  it('retries a function error, then parks the record on that route alone while the other route proceeds', async () => {
    // Prepare: two artifacts for the policy route, one request change for the notifier, whose function
    // crashes on every call; the policy function is throttled once.
    const [first, second] = [
      await storeArtifact(artifacts, clock, artifact()),
      await storeArtifact(artifacts, clock, artifact()),
    ];
    lambda.failNext(NOTIFY_FN, Number.POSITIVE_INFINITY, 'Unhandled');
    lambda.failNext(POLICY_FN, 1, 429);
    const before = lambda.calls.length;
    const parked: StreamFailure[] = [];
    const router = routerHandler({
      routes: [
        { ...route('stream-policy'), handler: remoteStreamHandler(invoke, POLICY_FN) },
        { ...route('stream-notify'), handler: remoteStreamHandler(invoke, NOTIFY_FN) },
      ],
      park: async (failure) => {
        parked.push(failure);
      },
      maxAttempts: 3,
      retryMs: 1,
      logger: silentLogger,
    });
    // Act
    const response = await router(
      streamEvent(artifactInsert('41', first.id), requestModify('42'), artifactInsert('43', second.id)),
    );
    // Assess: nothing for the stream to retry; the notifier's record parked after three tries, with the
    // function error as its reason; the policy route retried its throttle and evaluated both artifacts.
    expect(response).toEqual({ batchItemFailures: [] });
    const calls = lambda.calls.slice(before);
    const sequences = (fn: string) =>
      calls
        .filter((c) => c.functionName === fn)
        .map((c) => (c.payload as DynamoDBStreamEvent).Records.map((r) => r.dynamodb?.SequenceNumber));
    expect(sequences(NOTIFY_FN)).toEqual([['42'], ['42'], ['42']]);
    expect(sequences(POLICY_FN)).toEqual([
      ['41', '43'],
      ['41', '43'],
    ]);
    expect(parked).toEqual([
      expect.objectContaining({ consumer: 'stream-notify', sequenceNumber: '42', attempts: 3 }),
    ]);
    expect(parked[0]?.reason).toContain('the function failed (Unhandled)');
    for (const { id } of [first, second]) {
      expect((await artifacts.evaluation(id))?.evaluation, id).toBeDefined();
    }
  });
});
