import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ArtifactStore, PolicyEvaluation } from '../../app/ports.ts';
import type { Artifact } from '../../domain/artifact.ts';
import type { AuditEntry } from '../../domain/audit.ts';
import { ConflictError, PayloadTooLargeError } from '../../domain/errors.ts';
import type { ArtifactQuery } from '../../domain/query.ts';
import { auditPut } from './audit-items.ts';
import { INDEX, type IndexSpec, KEY } from './schema.ts';
import { mustNotExist, transact } from './transact.ts';

/** DynamoDB's item limit is 400 KB; keep headroom for attribute names and keys. */
export const MAX_STORED_BODY = 380_000;
const BATCH_GET_LIMIT = 100;
const RECENT_ARTIFACTS = 32;

interface Plan {
  index: IndexSpec;
  partitions: string[];
  filters: Record<string, string>;
}

const pad = (ms: number) => String(ms).padStart(13, '0');
const s = (value: string): AttributeValue => ({ S: value });

export function makeDynamoArtifactStore(client: DynamoDBClient, tableName: string): ArtifactStore {
  const key = (id: string, sk: 'META' | 'BODY') => ({
    [KEY.partition]: s(`ARTIFACT#${id}`),
    [KEY.sort]: s(sk),
  });

  async function put(artifact: Artifact, receivedAt: Date, audit: AuditEntry): Promise<void> {
    const body = gzipSync(JSON.stringify(artifact));
    if (body.length > MAX_STORED_BODY) {
      throw new PayloadTooLargeError(
        `artifact compresses to ${body.length} bytes; at most ${MAX_STORED_BODY} can be stored`,
      );
    }
    const v = artifact.version;
    const timeSk = `${pad(receivedAt.getTime())}#${artifact.id}`;
    const meta: Record<string, AttributeValue> = {
      ...key(artifact.id, 'META'),
      [INDEX.kind.partition]: s('artifact'),
      [INDEX.kind.sort]: s(timeSk),
      [INDEX.repo.partition]: s(`R#${v.repositoryName}`),
      [INDEX.repoEvent.partition]: s(`R#${v.repositoryName}#E#${v.event}`),
      [INDEX.sha.partition]: s(`S#${v.sha}`),
      timeSk: s(timeSk),
      id: s(artifact.id),
      repository: s(v.repositoryName),
      event: s(v.event),
      sha: s(v.sha),
    };
    if (v.branch) {
      meta[INDEX.repoBranch.partition] = s(`R#${v.repositoryName}#B#${v.branch}`);
      meta.branch = s(v.branch);
    }
    if (v.sourceBranch) meta.sourceBranch = s(v.sourceBranch);
    await transact(
      client,
      [
        { Put: { TableName: tableName, Item: meta, ...mustNotExist } },
        { Put: { TableName: tableName, Item: { ...key(artifact.id, 'BODY'), body: { B: body } } } },
        auditPut(tableName, audit),
      ],
      () => new ConflictError(`artifact ${artifact.id} already exists`),
    );
  }

  // Artifacts never change once stored, so a warm function keeps the last few it read: a monorepo's
  // deploys and the writer's batches read the same one over and over.
  const recent = new Map<string, Artifact>();
  async function get(id: string): Promise<Artifact | undefined> {
    const hit = recent.get(id);
    if (hit) return hit;
    const out = await client.send(new GetItemCommand({ TableName: tableName, Key: key(id, 'BODY') }));
    if (!out.Item) return undefined;
    const artifact = decode(out.Item);
    if (recent.size >= RECENT_ARTIFACTS) recent.delete(recent.keys().next().value as string);
    recent.set(id, artifact);
    return artifact;
  }

  async function list(query: ArtifactQuery): Promise<Artifact[]> {
    const want = query.offset + query.limit;
    const plan = planQuery(query);
    const perPartition = await Promise.all(
      plan.partitions.map((partition) => queryIndex(plan, partition, query, want)),
    );
    // Several sha partitions are merged newest-first; one partition is already in order.
    const page = perPartition
      .flat()
      .sort((a, b) => (a.timeSk < b.timeSk ? 1 : -1))
      .slice(query.offset, want);
    return fetchBodies(page.map((m) => m.id));
  }

  async function queryIndex(plan: Plan, partition: string, query: ArtifactQuery, want: number) {
    const names: Record<string, string> = {
      '#pk': plan.index.partition,
      '#sk': plan.index.sort,
      '#id': 'id',
      '#time': 'timeSk',
    };
    const values: Record<string, AttributeValue> = {
      ':pk': s(partition),
      ':lo': s(query.since === undefined ? '0' : pad(query.since)),
      ':hi': s(query.until === undefined ? '~' : `${pad(query.until - 1)}~`),
    };
    const conditions = Object.entries(plan.filters).map(([attribute, value], i) => {
      names[`#f${i}`] = attribute;
      values[`:f${i}`] = s(value);
      return `#f${i} = :f${i}`;
    });
    const found: { id: string; timeSk: string }[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: plan.index.name,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
          ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ProjectionExpression: '#id, #time',
          ScanIndexForward: false,
          // With a filter, DynamoDB's Limit counts items read, not matches: read in larger pages.
          Limit: conditions.length > 0 ? Math.max(want, 200) : want,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        found.push({ id: item.id?.S ?? '', timeSk: item.timeSk?.S ?? '' });
      }
      start = out.LastEvaluatedKey;
    } while (start && found.length < want);
    return found.slice(0, want);
  }

  async function fetchBodies(ids: string[]): Promise<Artifact[]> {
    const byId = new Map<string, Artifact>();
    for (let i = 0; i < ids.length; i += BATCH_GET_LIMIT) {
      let keys: Record<string, AttributeValue>[] | undefined = ids
        .slice(i, i + BATCH_GET_LIMIT)
        .map((id) => key(id, 'BODY'));
      while (keys && keys.length > 0) {
        const out: BatchGetItemCommandOutput = await client.send(
          new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys } } }),
        );
        for (const item of out.Responses?.[tableName] ?? []) {
          const artifact = decode(item);
          byId.set(artifact.id, artifact);
        }
        keys = out.UnprocessedKeys?.[tableName]?.Keys;
      }
    }
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  // The marker goes on META: a MODIFY record, which the policy processor's INSERT-only filter ignores.
  async function markEvaluated(id: string, evaluation: PolicyEvaluation): Promise<void> {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: key(id, 'META'),
          UpdateExpression: 'SET #ev = :ev',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#ev': 'policyEvaluation', '#pk': KEY.partition },
          ExpressionAttributeValues: { ':ev': s(JSON.stringify(evaluation)) },
        }),
      );
    } catch (error) {
      // The artifact is gone (expired): there is nothing left to evaluate again either.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async function evaluation(id: string): Promise<{ evaluation?: PolicyEvaluation } | undefined> {
    const out = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: key(id, 'META'),
        ConsistentRead: true,
        ProjectionExpression: '#ev, #id',
        ExpressionAttributeNames: { '#ev': 'policyEvaluation', '#id': 'id' },
      }),
    );
    if (!out.Item) return undefined;
    const stored = out.Item.policyEvaluation?.S;
    return stored ? { evaluation: JSON.parse(stored) as PolicyEvaluation } : {};
  }

  return { put, get, list, markEvaluated, evaluation };
}

/**
 * Picks the most selective index the filters allow; whatever the index key does not cover becomes a filter.
 * Every plan is a Query on an index, never a Scan.
 */
export function planQuery(q: ArtifactQuery): Plan {
  const filters: Record<string, string> = {};
  if (q.sourceBranch) filters.sourceBranch = q.sourceBranch;
  if (q.shas) {
    if (q.repository) filters.repository = q.repository;
    if (q.branch) filters.branch = q.branch;
    if (q.event) filters.event = q.event;
    return { index: INDEX.sha, partitions: q.shas.map((sha) => `S#${sha}`), filters };
  }
  if (q.repository && q.branch) {
    if (q.event) filters.event = q.event;
    return { index: INDEX.repoBranch, partitions: [`R#${q.repository}#B#${q.branch}`], filters };
  }
  if (q.repository && q.event) {
    return { index: INDEX.repoEvent, partitions: [`R#${q.repository}#E#${q.event}`], filters };
  }
  if (q.repository) return { index: INDEX.repo, partitions: [`R#${q.repository}`], filters };
  if (q.branch) filters.branch = q.branch;
  if (q.event) filters.event = q.event;
  return { index: INDEX.kind, partitions: ['artifact'], filters };
}

function decode(item: Record<string, AttributeValue>): Artifact {
  const body = item.body?.B;
  if (!body) throw new Error(`artifact item ${item[KEY.partition]?.S} has no body`);
  return JSON.parse(gunzipSync(body).toString('utf8')) as Artifact;
}
