/**
 * Cost of filtered artifact queries at 100 vs 10,000 stored artifacts, in DynamoDB Local.
 *
 * For each query it prints the median latency and the number of items DynamoDB read (ScannedCount summed
 * over every Query call, read off the SDK client), next to a baseline measured in the same run: the same
 * filter done as a table Scan (median of at most 5 runs), which is what an index-less store would cost.
 *
 * Run: npm run bench   (BENCH_TOTAL=10000 BENCH_RUNS=30 to change the sizes)
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { makeDynamoArtifactStore } from '../lib/adapters/dynamodb/artifact-store.ts';
import { ensureTable } from '../lib/adapters/dynamodb/create-table.ts';
import type { Artifact } from '../lib/domain/artifact.ts';
import { parseArtifactQuery } from '../lib/domain/query.ts';
import { startDynamoDbLocal } from '../lib/local/dynamodb-local.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const TOTAL = Number(process.env.BENCH_TOTAL ?? 10_000);
const SMALL = 100;
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const CONCURRENCY = 24;
const print = (line = '') => process.stdout.write(`${line}\n`);

/** Every 10th artifact belongs to acme/target; a third are on main. */
function artifactNumber(i: number, receivedAt: Date): Artifact {
  const repositoryName = i % 10 === 0 ? 'acme/target' : `acme/repo-${i % 97}`;
  const sha = (i.toString(16).padStart(8, '0') + 'f'.repeat(32)).slice(0, 40);
  return {
    id: `${repositoryName}-${randomUUID()}`,
    created: Math.floor(receivedAt.getTime() / 1000),
    version: {
      repositoryName,
      sha,
      branch: i % 3 === 0 ? 'main' : `feature/f${i}`,
      event: i % 3 === 0 ? 'push' : 'pr',
      message: `commit ${i}`,
    },
    context: { CI: 'true', GITHUB_SHA: sha },
    vars: { SHA: sha },
    items: [{ name: 'image', repository: `ghcr.io/${repositoryName}`, tag: sha.slice(0, 8) }],
    environments: [
      {
        app: 'app',
        env: 'staging',
        deploy: { branch: 'main', event: 'push' },
        chart: { repository: 'https://chart.onechart.dev', name: 'onechart', version: '0.70.0' },
        values: { image: { repository: `ghcr.io/${repositoryName}`, tag: '{{ .SHA }}' }, replicas: 1 },
      },
    ],
  };
}

/** Sums ScannedCount over every Query/Scan the client sends while `fn` runs. */
function countReads(client: DynamoDBClient) {
  let scanned = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      scanned += (result.output as { ScannedCount?: number }).ScannedCount ?? 0;
      return result;
    },
    { step: 'initialize', name: 'benchReadCounter' },
  );
  return async <T>(fn: () => Promise<T>): Promise<{ value: T; scanned: number }> => {
    scanned = 0;
    const value = await fn();
    return { value, scanned };
  };
}

async function median(fn: () => Promise<unknown>, runs = RUNS): Promise<number> {
  // Warm-up runs are discarded: the first queries against a fresh JVM are slow for reasons of its own.
  for (let i = 0; i < 3; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  const table = `bench-${randomUUID()}`;
  await ensureTable(dynamo.client, table);
  const store = makeDynamoArtifactStore(dynamo.client, table);
  const measure = countReads(dynamo.client);
  const shaOf = (i: number) => (i.toString(16).padStart(8, '0') + 'f'.repeat(32)).slice(0, 40);

  const queries: [string, Record<string, string[]>][] = [
    ['newest 10 of one repository', { repository: ['acme/target'] }],
    ['repository + branch', { repository: ['acme/target'], branch: ['main'] }],
    ['repository + event', { repository: ['acme/target'], event: ['push'] }],
    ['two shas', { sha: [shaOf(30), shaOf(60)] }],
    ['newest 10, no filter', {}],
  ];

  const scanBaseline = (params: Record<string, string[]>) => async () => {
    // What a store without indexes does: read the whole table and filter.
    const repository = params.repository?.[0];
    let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const out = await dynamo.client.send(
        new ScanCommand({
          TableName: table,
          ...(repository
            ? {
                FilterExpression: 'repository = :r',
                ExpressionAttributeValues: { ':r': { S: repository } },
              }
            : {}),
          ExclusiveStartKey: start,
        }),
      );
      start = out.LastEvaluatedKey;
    } while (start);
  };

  let stored = 0;
  const base = Date.parse('2026-01-01T00:00:00Z');
  async function fillTo(n: number): Promise<number> {
    const started = performance.now();
    const from = stored;
    let next = stored;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < n) {
          const i = next++;
          const receivedAt = new Date(base + i * 1000);
          const a = artifactNumber(i, receivedAt);
          await store.put(a, receivedAt, {
            id: randomUUID(),
            at: receivedAt.toISOString(),
            actor: 'bench',
            tokenId: 'tok_bench',
            action: 'artifact.create',
            target: a.id,
          });
        }
      }),
    );
    stored = n;
    return ((n - from) / (performance.now() - started)) * 1000;
  }

  type Row = { ms: number; read: number; returned: number; scanMs: number; scanRead: number };
  const results: Record<string, Record<number, Row>> = {};
  for (const size of [SMALL, TOTAL]) {
    const rate = await fillTo(size);
    print(`stored ${size} artifacts (${rate.toFixed(0)} puts/s, ${CONCURRENCY} concurrent transactions)`);
    for (const [name, params] of queries) {
      const query = parseArtifactQuery(params);
      const once = await measure(() => store.list(query));
      const scanOnce = await measure(scanBaseline(params));
      const row: Row = {
        ms: await median(() => store.list(query)),
        read: once.scanned,
        returned: once.value.length,
        // Full-table scans are slow by nature: a few runs give a stable median.
        scanMs: await median(scanBaseline(params), Math.min(RUNS, 5)),
        scanRead: scanOnce.scanned,
      };
      results[name] = { ...results[name], [size]: row };
    }
  }

  print();
  print(
    `Filtered artifact queries, DynamoDB Local: median ms of ${RUNS} runs (scan baseline: ${Math.min(RUNS, 5)}) after 3 warm-up runs; read = items DynamoDB read (ScannedCount)`,
  );
  print(
    `${'query'.padEnd(30)} ${'stored'.padStart(7)} ${'ms'.padStart(7)} ${'read'.padStart(6)} ${'returned'.padStart(8)} | ${'scan ms'.padStart(8)} ${'scan read'.padStart(9)}`,
  );
  for (const [name, bySize] of Object.entries(results)) {
    for (const size of [SMALL, TOTAL]) {
      const r = bySize[size];
      if (!r) continue;
      print(
        `${name.padEnd(30)} ${String(size).padStart(7)} ${r.ms.toFixed(1).padStart(7)} ${String(r.read).padStart(6)} ${String(r.returned).padStart(8)} | ${r.scanMs.toFixed(1).padStart(8)} ${String(r.scanRead).padStart(9)}`,
      );
    }
    const small = bySize[SMALL];
    const large = bySize[TOTAL];
    if (small && large) {
      print(
        `${''.padEnd(30)} ${'ratio'.padStart(7)} ${(large.ms / small.ms).toFixed(2).padStart(7)}x ${''.padStart(15)} | ${(large.scanMs / small.scanMs).toFixed(1).padStart(7)}x`,
      );
    }
  }
  await dynamo.stop();
}

// Ctrl-C still stops DynamoDB Local: exiting runs its exit hook, dying by signal would not.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
