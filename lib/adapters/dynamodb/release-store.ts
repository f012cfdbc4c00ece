import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type TransactWriteItem,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  AppRelease,
  AppStatus,
  HistoryEntry,
  NewRequest,
  OpenRelease,
  ReleaseStore,
  WriteOutcome,
} from '../../app/ports.ts';
import type { CommitDiff } from '../../domain/diff.ts';
import { ConflictError } from '../../domain/errors.ts';
import { advance, type Hold, isTerminal, type ReleaseRequest } from '../../domain/release.ts';
import { auditPut } from './audit-items.ts';
import { INDEX, KEY, TTL_ATTRIBUTE } from './schema.ts';
import { mustNotExist, transact, transactIfConditions } from './transact.ts';

/**
 * Items (pk / sk):
 *   REQUEST#<id>             / REQUEST                 the request and its state history (`state` on top for conditions)
 *   IDEMPOTENCY#<login>#<key>/ IDEMPOTENCY             which request a key made (expires after a day)
 *   ARTIFACT#<artifactId>    / REQUEST#<time>#<id>     requests made from an artifact (eventArtifactTrack)
 *   ENV#<env>                / APP#<app>               what `<env>/<app>` holds now, and any hold (status);
 *                                                      the per-app sequence counter and the last sequence written
 *   HISTORY#<env>            / <time>#<app>#<id>       commits per environment, newest last
 *   HISTORY#<env>#<app>      / <time>#<id>             commits per app
 *   COMMIT#<sha>             / <env>/<app>             a Ferry commit by sha (rollback targets) and its diff (gzipped)
 *   OPEN#<env>               / <time>#<id>             commits Flux has not settled yet (expire after OPEN_DAYS)
 *   WAITING                  / <env>/<app>#<seq>#<id>  requests parked at the release gate, in order
 *   REQUEST#<id>             / RELEASE#<parks>         a waiting request's release: the outbox relay queues it
 * REQUEST items are listed newest first on the `byKind` index (kind `request`, sorted by creation time),
 * and ENV items once committed to (kind `app`, sorted `<env>/<app>`): the dashboard's activity and matrix.
 * Only REQUEST items feed the dispatcher: its stream filter matches the `REQUEST#` prefix.
 */
export const REQUEST_PREFIX = 'REQUEST#';
const IDEMPOTENCY_SECONDS = 24 * 3600;
const BATCH_GET_LIMIT = 100;
const ADVANCE_TRIES = 5;
/** An environment whose Flux never reports leaves its open commits behind only this long. */
const OPEN_DAYS = 14;
/** On the app item: the last sequence number drawn for `<env>/<app>`, and the last one written to git. */
const DRAWN = 'drawnSequence';
const WRITTEN = 'writtenSequence';

const pad = (ms: number) => String(ms).padStart(13, '0');
const key = (pk: string, sk: string) => marshall({ [KEY.partition]: pk, [KEY.sort]: sk });
const requestKey = (id: string) => key(`${REQUEST_PREFIX}${id}`, 'REQUEST');
const appKey = (env: string, app: string) => key(`ENV#${env}`, `APP#${app}`);
const waitingKey = (r: ReleaseRequest) =>
  key('WAITING', `${r.env}/${r.app}#${String(r.sequence ?? 0).padStart(12, '0')}#${r.id}`);
/** Release marks only need to live until the relay has read them from the stream (24 h). */
const RELEASE_MARK_SECONDS = 2 * 86_400;
const openKey = (open: Pick<OpenRelease, 'env' | 'committedAt' | 'requestId'>) =>
  key(`OPEN#${open.env}`, `${pad(Date.parse(open.committedAt))}#${open.requestId}`);

/** TransactWriteItems takes at most 100 actions. */
const TRANSACTION_LIMIT = 100;

export function makeDynamoReleaseStore(client: DynamoDBClient, tableName: string): ReleaseStore {
  /** Replaces the request only while it is still in the state it was read in. */
  const stateUpdate = (before: ReleaseRequest, after: ReleaseRequest) => ({
    TableName: tableName,
    Key: requestKey(after.id),
    UpdateExpression: 'SET #request = :request, #state = :state',
    ConditionExpression: '#state = :before',
    ExpressionAttributeNames: { '#request': 'request', '#state': 'state' },
    ExpressionAttributeValues: marshall(
      { ':request': after, ':state': after.state, ':before': before.state },
      { removeUndefinedValues: true },
    ),
  });
  /** The writes that store one outcome: the request's new state and, for a commit, the repository mirror. */
  const outcomeItems = ({ before, after, commit }: WriteOutcome): TransactWriteItem[] => {
    const items: TransactWriteItem[] = [{ Update: stateUpdate(before, after) }];
    if (before.state === 'waiting') items.push({ Delete: { TableName: tableName, Key: waitingKey(before) } });
    // What the folder holds now came from this request: an older one redelivered later is superseded.
    const written = after.state === 'committed' || after.state === 'unchanged' ? after.sequence : undefined;
    if (commit) items.push(...commitItems(tableName, commit, written));
    else if (written !== undefined) {
      items.push({
        Update: {
          TableName: tableName,
          Key: appKey(after.env, after.app),
          UpdateExpression: 'SET #written = :written',
          ExpressionAttributeNames: { '#written': WRITTEN },
          ExpressionAttributeValues: marshall({ ':written': written }),
        },
      });
    }
    return items;
  };

  const putRequest = (request: ReleaseRequest): TransactWriteItem => ({
    Put: {
      TableName: tableName,
      Item: {
        ...requestKey(request.id),
        ...marshall(
          {
            request,
            state: request.state,
            [INDEX.kind.partition]: 'request',
            [INDEX.kind.sort]: `${request.createdAt}#${request.id}`,
          },
          { removeUndefinedValues: true },
        ),
      },
      ...mustNotExist,
    },
  });

  async function get(id: string): Promise<ReleaseRequest | undefined> {
    const out = await client.send(
      new GetItemCommand({ TableName: tableName, Key: requestKey(id), ConsistentRead: true }),
    );
    return out.Item ? (unmarshall(out.Item).request as ReleaseRequest) : undefined;
  }

  async function getMany(ids: readonly string[]): Promise<ReleaseRequest[]> {
    const found = new Map<string, ReleaseRequest>();
    for (let i = 0; i < ids.length; i += BATCH_GET_LIMIT) {
      let keys: Record<string, AttributeValue>[] | undefined = [
        ...new Set(ids.slice(i, i + BATCH_GET_LIMIT)),
      ].map(requestKey);
      while (keys && keys.length > 0) {
        const out: BatchGetItemCommandOutput = await client.send(
          new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[tableName] ?? []) {
          const request = unmarshall(item).request as ReleaseRequest;
          found.set(request.id, request);
        }
        keys = out.UnprocessedKeys?.[tableName]?.Keys;
      }
    }
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  async function queryAll(input: Omit<QueryCommandInput, 'TableName'>, limit = Number.POSITIVE_INFINITY) {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          ...input,
          ...(Number.isFinite(limit) ? { Limit: limit - items.length } : {}),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []).map((item) => unmarshall(item)));
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items;
  }

  /** The last sequence number drawn for `<env>/<app>` (0 before the first request). */
  async function drawnSequence(env: string, app: string): Promise<number> {
    const out = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: appKey(env, app),
        ConsistentRead: true,
        ProjectionExpression: '#drawn',
        ExpressionAttributeNames: { '#drawn': DRAWN },
      }),
    );
    return Number(out.Item ? (unmarshall(out.Item)[DRAWN] ?? 0) : 0);
  }

  /**
   * Draws the next sequence number in the same transaction that records the request: the counter moves
   * only if it still holds `drawn`, so two requests never share a number and a number never exists
   * without its request. Undefined when another request drew `drawn + 1` first (the caller reads again).
   */
  function sequenceDraw(request: ReleaseRequest, drawn: number, hold?: Hold | 'lift'): TransactWriteItem {
    const set = ['#drawn = :next'];
    const values: Record<string, unknown> = { ':next': drawn + 1 };
    if (drawn > 0) values[':drawn'] = drawn;
    if (hold && hold !== 'lift') {
      set.push('#hold = :hold');
      values[':hold'] = hold;
    }
    return {
      Update: {
        TableName: tableName,
        Key: appKey(request.env, request.app),
        UpdateExpression: `SET ${set.join(', ')}${hold === 'lift' ? ' REMOVE #hold' : ''}`,
        ConditionExpression: drawn > 0 ? '#drawn = :drawn' : 'attribute_not_exists(#drawn)',
        ExpressionAttributeNames: { '#drawn': DRAWN, ...(hold ? { '#hold': 'hold' } : {}) },
        ExpressionAttributeValues: marshall(values),
      },
    };
  }

  async function createAfter(
    { request: asked, audit, idempotencyKey, fingerprint, hold }: NewRequest,
    drawn: number,
  ): Promise<ReleaseRequest | undefined> {
    const request: ReleaseRequest = { ...asked, sequence: drawn + 1 };
    const items: TransactWriteItem[] = [putRequest(request), auditPut(tableName, audit)];
    if (request.artifactId) {
      items.push({
        Put: {
          TableName: tableName,
          Item: {
            ...key(`ARTIFACT#${request.artifactId}`, `REQUEST#${request.createdAt}#${request.id}`),
            ...marshall({ requestId: request.id }),
          },
        },
      });
    }
    const draw = items.push(sequenceDraw(request, drawn, hold)) - 1;
    const idemKey = idempotencyKey
      ? key(`IDEMPOTENCY#${request.triggeredBy}#${idempotencyKey}`, 'IDEMPOTENCY')
      : undefined;
    if (idemKey) {
      const expires = Math.floor(Date.parse(request.createdAt) / 1000) + IDEMPOTENCY_SECONDS;
      items.push({
        Put: {
          TableName: tableName,
          Item: {
            ...idemKey,
            ...marshall({ requestId: request.id, fingerprint, [TTL_ATTRIBUTE]: expires }),
          },
          ...mustNotExist,
        },
      });
    }
    let replayed = false;
    let raced = false;
    await transact(client, items, (failed) => {
      raced = failed.size === 1 && failed.has(draw);
      replayed = !raced;
      return new ConflictError('idempotency key already used');
    }).catch(async (error) => {
      if (raced || (replayed && idemKey)) return;
      throw error;
    });
    if (raced) return undefined;
    if (!replayed || !idemKey) return request;
    const out = await client.send(
      new GetItemCommand({ TableName: tableName, Key: idemKey, ConsistentRead: true }),
    );
    const seen = out.Item ? unmarshall(out.Item) : undefined;
    if (!seen) throw new ConflictError('idempotency key is being used by a concurrent request; retry');
    if (seen.fingerprint !== fingerprint) {
      throw new ConflictError(`Idempotency-Key "${idempotencyKey}" was already used for a different request`);
    }
    const first = await get(seen.requestId as string);
    if (!first) throw new ConflictError('idempotency key refers to a missing request; retry');
    return first;
  }

  return {
    async create(input) {
      const { env, app } = input.request;
      for (let attempt = 0; attempt < ADVANCE_TRIES; attempt++) {
        const created = await createAfter(input, await drawnSequence(env, app));
        if (created) return created;
      }
      throw new ConflictError(`requests for ${env}/${app} keep arriving at once; retry`);
    },

    get,
    getMany,

    async advance(id, change) {
      for (let attempt = 0; attempt < ADVANCE_TRIES; attempt++) {
        const current = await get(id);
        if (!current) return undefined;
        const next = advance(current, change);
        if (!next) return undefined;
        if (current.state === 'waiting') {
          const items: TransactWriteItem[] = [
            { Update: stateUpdate(current, next) },
            { Delete: { TableName: tableName, Key: waitingKey(current) } },
          ];
          if (await transactIfConditions(client, items)) return next;
          continue;
        }
        try {
          await client.send(new UpdateItemCommand(stateUpdate(current, next)));
          return next;
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
      throw new ConflictError(`request ${id} keeps changing; gave up after ${ADVANCE_TRIES} tries`);
    },

    async recordOutcome(outcome: WriteOutcome) {
      return transactIfConditions(client, outcomeItems(outcome));
    },

    async recordOutcomes(outcomes) {
      const items = outcomes.flatMap(outcomeItems);
      // One transaction: at most 100 actions, and no item twice (two requests of one app in a batch).
      // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
      const keys = items.map((item) =>
        JSON.stringify(
          item.Update?.Key ??
            item.Delete?.Key ?? [item.Put?.Item?.[KEY.partition], item.Put?.Item?.[KEY.sort]],
        ),
      );
      if (items.length > TRANSACTION_LIMIT || new Set(keys).size !== keys.length) return false;
      return transactIfConditions(client, items);
    },

    async writtenSequences(targets) {
      const found = new Map<string, number>();
      const keys = [...new Map(targets.map((t) => [`${t.env}/${t.app}`, t])).values()];
      for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
        let pending: Record<string, AttributeValue>[] | undefined = keys
          .slice(i, i + BATCH_GET_LIMIT)
          .map((t) => appKey(t.env, t.app));
        while (pending && pending.length > 0) {
          const out: BatchGetItemCommandOutput = await client.send(
            new BatchGetItemCommand({
              RequestItems: {
                [tableName]: {
                  Keys: pending,
                  ConsistentRead: true,
                  ProjectionExpression: '#pk, #sk, #written',
                  ExpressionAttributeNames: { '#pk': KEY.partition, '#sk': KEY.sort, '#written': WRITTEN },
                },
              },
            }),
          );
          for (const raw of out.Responses?.[tableName] ?? []) {
            const item = unmarshall(raw);
            if (typeof item[WRITTEN] !== 'number') continue;
            const env = String(item[KEY.partition]).slice('ENV#'.length);
            const app = String(item[KEY.sort]).slice('APP#'.length);
            found.set(`${env}/${app}`, item[WRITTEN]);
          }
          pending = out.UnprocessedKeys?.[tableName]?.Keys;
        }
      }
      return found;
    },

    async forArtifact(artifactId) {
      const items = await queryAll({
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': KEY.partition, '#sk': KEY.sort },
        ExpressionAttributeValues: marshall({ ':pk': `ARTIFACT#${artifactId}`, ':prefix': 'REQUEST#' }),
        ConsistentRead: true,
      });
      return getMany(items.map((item) => item.requestId as string));
    },

    async history({ env, app, since, until, limit }) {
      const from = since ? pad(since.getTime()) : '0';
      const to = until ? `${pad(until.getTime())}~` : '~';
      const items = await queryAll(
        {
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': KEY.partition, '#sk': KEY.sort },
          ExpressionAttributeValues: marshall({
            ':pk': app ? `HISTORY#${env}#${app}` : `HISTORY#${env}`,
            ':from': from,
            ':to': to,
          }),
          ScanIndexForward: false,
        },
        limit,
      );
      return items.map((item) => item.entry as HistoryEntry);
    },

    async status(env, app) {
      const items = app
        ? await client
            .send(new GetItemCommand({ TableName: tableName, Key: appKey(env, app), ConsistentRead: true }))
            .then((out) => (out.Item ? [unmarshall(out.Item)] : []))
        : await queryAll({
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            ExpressionAttributeNames: { '#pk': KEY.partition, '#sk': KEY.sort },
            ExpressionAttributeValues: marshall({ ':pk': `ENV#${env}`, ':prefix': 'APP#' }),
          });
      return items.filter((item) => item.release || item.hold).map(appStatus);
    },

    async everyApp() {
      const items = await queryAll({
        IndexName: INDEX.kind.name,
        KeyConditionExpression: '#kind = :app',
        // Not the kept files (up to 200 KB an app): the matrix needs only what each folder holds.
        ProjectionExpression:
          '#pk, #sk, #release.#record, #release.gitopsSha, #release.committedAt, #release.requestId, #hold',
        ExpressionAttributeNames: {
          '#kind': INDEX.kind.partition,
          '#pk': KEY.partition,
          '#sk': KEY.sort,
          '#release': 'release',
          '#record': 'record',
          '#hold': 'hold',
        },
        ExpressionAttributeValues: marshall({ ':app': 'app' }),
      });
      return items
        .filter((item) => item.release || item.hold)
        .map((item) => ({ ...appStatus(item), env: String(item[KEY.partition]).slice('ENV#'.length) }));
    },

    async recent(limit) {
      const items = await queryAll(
        {
          IndexName: INDEX.kind.name,
          KeyConditionExpression: '#kind = :request',
          ExpressionAttributeNames: { '#kind': INDEX.kind.partition },
          ExpressionAttributeValues: marshall({ ':request': 'request' }),
          ScanIndexForward: false,
        },
        limit,
      );
      return items.map((item) => item.request as ReleaseRequest);
    },

    async findCommit(env, app, gitopsSha) {
      const out = await client.send(
        new GetItemCommand({ TableName: tableName, Key: key(`COMMIT#${gitopsSha}`, `${env}/${app}`) }),
      );
      if (!out.Item) return undefined;
      const item = unmarshall(out.Item);
      const entry = item.entry as HistoryEntry;
      if (typeof item.diffGz === 'string') {
        entry.diff = JSON.parse(
          gunzipSync(Buffer.from(item.diffGz, 'base64')).toString('utf8'),
        ) as CommitDiff;
      }
      return entry;
    },

    async liftHold(env, app, audit) {
      return transactIfConditions(client, [
        {
          Update: {
            TableName: tableName,
            Key: appKey(env, app),
            UpdateExpression: 'REMOVE #hold',
            ConditionExpression: 'attribute_exists(#hold)',
            ExpressionAttributeNames: { '#hold': 'hold' },
          },
        },
        auditPut(tableName, audit),
      ]);
    },

    async deployedFiles(env, app) {
      const out = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: appKey(env, app),
          ConsistentRead: true,
          ProjectionExpression: '#release.#files, #release.gitopsSha',
          ExpressionAttributeNames: { '#release': 'release', '#files': 'filesGz' },
        }),
      );
      const release = out.Item
        ? (unmarshall(out.Item).release as { filesGz?: string; gitopsSha?: string })
        : undefined;
      if (!release?.gitopsSha) return undefined;
      const files = unpackFiles(release.filesGz);
      return { gitopsSha: release.gitopsSha, ...(files ? { files } : {}) };
    },

    async park(before, after) {
      return transactIfConditions(client, [
        { Update: stateUpdate(before, after) },
        {
          Put: {
            TableName: tableName,
            Item: { ...waitingKey(after), ...marshall({ requestId: after.id }) },
          },
        },
      ]);
    },

    async waiting(target) {
      const items = await queryAll({
        KeyConditionExpression: target ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
        ExpressionAttributeNames: { '#pk': KEY.partition, ...(target ? { '#sk': KEY.sort } : {}) },
        ExpressionAttributeValues: marshall({
          ':pk': 'WAITING',
          ...(target ? { ':prefix': `${target.env}/${target.app}#` } : {}),
        }),
        ConsistentRead: true,
      });
      const requests = await getMany(items.map((item) => item.requestId as string));
      return requests.filter((r) => r.state === 'waiting');
    },

    async release(before, at) {
      if (before.state !== 'waiting' || !before.gate) return false;
      const after: ReleaseRequest = { ...before, gate: { ...before.gate, releasedAt: at } };
      const expires = Math.floor(Date.parse(at) / 1000) + RELEASE_MARK_SECONDS;
      return transactIfConditions(client, [
        {
          Update: {
            ...stateUpdate(before, after),
            ConditionExpression: '#state = :before AND #request.#gate.#parks = :parks',
            ExpressionAttributeNames: {
              '#request': 'request',
              '#state': 'state',
              '#gate': 'gate',
              '#parks': 'parks',
            },
            ExpressionAttributeValues: marshall(
              {
                ':request': after,
                ':state': after.state,
                ':before': before.state,
                ':parks': before.gate.parks,
              },
              { removeUndefinedValues: true },
            ),
          },
        },
        {
          Put: {
            TableName: tableName,
            // The relay reads `request.id` from new REQUEST# items (DISPATCH_FILTER): this is one.
            Item: {
              ...key(`${REQUEST_PREFIX}${before.id}`, `RELEASE#${before.gate.parks}`),
              ...marshall({ request: { id: before.id }, releasedAt: at, [TTL_ATTRIBUTE]: expires }),
            },
            ...mustNotExist,
          },
        },
      ]);
    },

    async openRequests(env) {
      const items = await queryAll({
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': KEY.partition },
        ExpressionAttributeValues: marshall({ ':pk': `OPEN#${env}` }),
        ConsistentRead: true,
      });
      return items.map((item) => item.open as OpenRelease);
    },

    async settle(open, change) {
      const closeInput = { TableName: tableName, Key: openKey(open) };
      const close: TransactWriteItem = { Delete: closeInput };
      for (let attempt = 0; attempt < ADVANCE_TRIES; attempt++) {
        const current = await get(open.requestId);
        if (!current) return undefined;
        const next = advance(current, change);
        if (!next) {
          // Settled already (another event got there first): make sure it no longer counts as open.
          if (isTerminal(current.state)) await client.send(new DeleteItemCommand(closeInput));
          return undefined;
        }
        const items: TransactWriteItem[] = [{ Update: stateUpdate(current, next) }];
        if (isTerminal(next.state)) items.push(close);
        if (await transactIfConditions(client, items)) return next;
      }
      throw new ConflictError(
        `request ${open.requestId} keeps changing; gave up after ${ADVANCE_TRIES} tries`,
      );
    },
  };
}

function appStatus(item: Record<string, unknown>): AppStatus {
  const status: AppStatus = { app: String(item[KEY.sort]).slice('APP#'.length) };
  if (item.release) {
    // The kept files are for dry runs only (deployedFiles); listings never unpack them.
    const { filesGz: _packed, ...release } = item.release as AppRelease & { filesGz?: string };
    status.release = release;
  }
  if (item.hold) status.hold = item.hold as Hold;
  return status;
}

/** The repository mirror a commit updates: what the app holds now, its history and the sha lookup. */
/** Gzipped so a typical folder costs little; one too big for the item is simply not kept. */
const MAX_FILES_BYTES = 200_000;

function packFiles(files: Record<string, string> | undefined): string | undefined {
  if (!files) return undefined;
  const packed = gzipSync(JSON.stringify(files)).toString('base64');
  return packed.length <= MAX_FILES_BYTES ? packed : undefined;
}

function unpackFiles(packed: unknown): Record<string, string> | undefined {
  if (typeof packed !== 'string') return undefined;
  return JSON.parse(gunzipSync(Buffer.from(packed, 'base64')).toString('utf8')) as Record<string, string>;
}

function commitItems(tableName: string, input: HistoryEntry, written?: number): TransactWriteItem[] {
  const { files, diff, ...entry } = input;
  const packedFiles = packFiles(files);
  // The commit's diff goes on its COMMIT# item only: history listings never carry it.
  const packedDiff = diff ? gzipSync(JSON.stringify(diff)).toString('base64') : undefined;
  const time = pad(Date.parse(entry.committedAt));
  const setWritten = written === undefined ? '' : ', #written = :written';
  const writtenName: Record<string, string> = written === undefined ? {} : { '#written': WRITTEN };
  const writtenValue: Record<string, number> = written === undefined ? {} : { ':written': written };
  const put = (pk: string, sk: string, extra: Record<string, string> = {}): TransactWriteItem => ({
    Put: {
      TableName: tableName,
      Item: { ...key(pk, sk), ...marshall({ entry, ...extra }, { removeUndefinedValues: true }) },
    },
  });
  // Listed on the kind index once committed to, so the matrix reads every environment in one query.
  const kindNames = { '#kind': INDEX.kind.partition, '#kindSort': INDEX.kind.sort };
  const kindValues = { ':kind': 'app', ':kindSort': `${entry.env}/${entry.app}` };
  const current: TransactWriteItem = entry.record
    ? {
        Update: {
          TableName: tableName,
          Key: appKey(entry.env, entry.app),
          UpdateExpression: `SET #release = :release, #kind = :kind, #kindSort = :kindSort${setWritten}`,
          ExpressionAttributeNames: { '#release': 'release', ...kindNames, ...writtenName },
          ExpressionAttributeValues: marshall(
            {
              ...kindValues,
              ':release': {
                record: entry.record,
                gitopsSha: entry.gitopsSha,
                committedAt: entry.committedAt,
                requestId: entry.requestId,
                ...(packedFiles ? { filesGz: packedFiles } : {}),
              },
              ...writtenValue,
            },
            { removeUndefinedValues: true },
          ),
        },
      }
    : {
        Update: {
          TableName: tableName,
          Key: appKey(entry.env, entry.app),
          UpdateExpression: `SET #kind = :kind, #kindSort = :kindSort${written === undefined ? '' : ', #written = :written'} REMOVE #release`,
          ExpressionAttributeNames: { '#release': 'release', ...kindNames, ...writtenName },
          ExpressionAttributeValues: marshall({ ...kindValues, ...writtenValue }),
        },
      };
  const open: OpenRelease = {
    requestId: entry.requestId,
    env: entry.env,
    app: entry.app,
    gitopsSha: entry.gitopsSha,
    committedAt: entry.committedAt,
  };
  const expires = Math.floor(Date.parse(entry.committedAt) / 1000) + OPEN_DAYS * 86_400;
  return [
    current,
    {
      Put: {
        TableName: tableName,
        Item: { ...openKey(open), ...marshall({ open, [TTL_ATTRIBUTE]: expires }) },
      },
    },
    put(`HISTORY#${entry.env}`, `${time}#${entry.app}#${entry.requestId}`),
    put(`HISTORY#${entry.env}#${entry.app}`, `${time}#${entry.requestId}`),
    put(
      `COMMIT#${entry.gitopsSha}`,
      `${entry.env}/${entry.app}`,
      packedDiff && packedDiff.length <= MAX_FILES_BYTES ? { diffGz: packedDiff } : {},
    ),
  ];
}
