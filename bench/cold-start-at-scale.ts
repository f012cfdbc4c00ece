/**
 * A cold writer against a gitops repository with a long history: an empty clone directory (a new Lambda
 * container), one deploy request, writeBatch until the request is `committed` (fetch, exactly-once check
 * over the last 10 minutes of history, commit, push, record). Beside it, in the same run and against the
 * same repository and git server, the native floor: `git clone --depth 1 --single-branch`, change the
 * folder, commit, push.
 *
 * Each size gets its own bare repository seeded by `git fast-import`: one commit with 200 app folders of
 * 5 files, then one commit per release, 1.2 s apart and ending now (50 releases a minute), so the
 * 10-minute window the exactly-once check reads holds about 500 commits whatever the size.
 *
 * Run: npx tsx bench/cold-start-at-scale.ts   (BENCH_SIZES=1000,20000 to choose the sizes, BENCH_RUNS=3)
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDynamoArtifactStore } from '../lib/adapters/dynamodb/artifact-store.ts';
import { ensureTable } from '../lib/adapters/dynamodb/create-table.ts';
import { makeDynamoReleaseStore } from '../lib/adapters/dynamodb/release-store.ts';
import { makeGitopsRepo } from '../lib/adapters/git/gitops-repo.ts';
import { writeBatch } from '../lib/app/write-batch.ts';
import { parseArtifact } from '../lib/domain/artifact.ts';
import type { ReleaseRequest } from '../lib/domain/release.ts';
import { startDynamoDbLocal } from '../lib/local/dynamodb-local.ts';
import { runGit } from '../lib/local/git/git-cli.ts';
import { createBareRepo, startGitServer } from '../lib/local/git/git-server.ts';
import { makeLogger } from '../lib/log/logger.ts';
import { bytesUnder } from './support/disk.ts';
import { seedHistory } from './support/seed-history.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SIZES = (process.env.BENCH_SIZES ?? '1000,20000,100000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGET_MS = 3000;
const print = (line = '') => process.stdout.write(`${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-cold-scale-'));
  const dynamo = await startDynamoDbLocal();
  const server = await startGitServer({ root: join(root, 'git') });
  const logger = makeLogger((line) => {
    if (process.env.BENCH_LOG) process.stderr.write(`${line}\n`);
  });
  try {
    const tableName = `bench-${randomUUID()}`;
    await ensureTable(dynamo.client, tableName);
    const releases = makeDynamoReleaseStore(dynamo.client, tableName);
    const artifacts = makeDynamoArtifactStore(dynamo.client, tableName);
    const clock = { now: () => new Date() };

    print(
      `cold deploy → committed, median of ${RUNS} (fresh clone directory each run); target ≤ ${TARGET_MS} ms`,
    );
    print(
      'commits   seed      ferry cold   clone on disk   rss +   native clone --depth 1 + commit + push   ratio',
    );
    for (const size of SIZES) {
      const name = `history-${size}.git`;
      const bare = await createBareRepo(join(root, 'git'), name);
      const seedStarted = performance.now();
      await seedHistory(bare, { commits: size, apps: 200, filesPerApp: 5, spacingMs: 1200 });
      const seedMs = performance.now() - seedStarted;
      const url = server.repoUrl(name);

      const ferry: number[] = [];
      const native: number[] = [];
      let disk = 0;
      let rss = 0;
      for (let run = 0; run < RUNS; run++) {
        // Ferry: a new container's writer, one deploy.
        const app = `app-${run}`;
        const input = parseArtifact({
          version: {
            repositoryName: 'acme/api',
            sha: randomUUID().replace(/-/g, '').padEnd(40, '0'),
            branch: 'main',
            event: 'push',
          },
          environments: [
            {
              app,
              env: 'staging',
              manifests: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}\ndata:\n  RUN: "${size}-${run}"\n`,
            },
          ],
        });
        const artifact = { ...input, id: `acme/api-${randomUUID()}`, created: 1 };
        const at = new Date().toISOString();
        const audit = {
          id: randomUUID(),
          at,
          actor: 'bench',
          tokenId: 't',
          action: 'artifact.create',
          target: artifact.id,
        };
        await artifacts.put(artifact, new Date(), audit);
        const asked: ReleaseRequest = {
          id: randomUUID(),
          intent: 'deploy',
          env: 'staging',
          app,
          artifactId: artifact.id,
          triggeredBy: 'bench',
          createdAt: at,
          state: 'requested',
          states: [{ state: 'requested', at }],
        };
        const request = await releases.create({
          request: asked,
          audit: { ...audit, id: randomUUID(), action: 'release.deploy' },
        });
        const cacheDir = join(root, `cache-${size}-${run}`);
        const rssBefore = process.memoryUsage().rss;
        const started = performance.now();
        const retry = await writeBatch(
          { releases, artifacts, clock, logger, repo: makeGitopsRepo({ url, branch: 'main', cacheDir }) },
          [{ messageId: 'm', requestId: request.id }],
        );
        ferry.push(performance.now() - started);
        rss = Math.max(rss, process.memoryUsage().rss - rssBefore);
        const state = (await releases.get(request.id))?.state;
        if (retry.length > 0 || state !== 'committed') throw new Error(`run ${run} at ${size}: ${state}`);
        disk = Math.max(disk, bytesUnder(cacheDir));
        rmSync(cacheDir, { recursive: true, force: true });

        // Native floor, same repository and server, right after.
        const work = join(root, `native-${size}-${run}`);
        const nativeStarted = performance.now();
        await runGit(['clone', '--quiet', '--depth', '1', '--single-branch', '--branch', 'main', url, work]);
        mkdirSync(join(work, 'staging', `native-${run}`), { recursive: true });
        writeFileSync(join(work, 'staging', `native-${run}`, 'configmap.yaml'), `# ${size}-${run}\n`);
        await runGit(['add', '-A'], { cwd: work });
        await runGit(['commit', '--quiet', '-m', `native ${size}-${run}`], { cwd: work });
        await runGit(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: work });
        native.push(performance.now() - nativeStarted);
        rmSync(work, { recursive: true, force: true });
      }
      const f = median(ferry);
      const n = median(native);
      print(
        `${String(size).padStart(7)}  ${(seedMs / 1000).toFixed(1).padStart(5)} s  ${f.toFixed(0).padStart(8)} ms  ` +
          `${(disk / 1024 / 1024).toFixed(1).padStart(10)} MB  ${(rss / 1024 / 1024).toFixed(0).padStart(4)} MB  ` +
          `${n.toFixed(0).padStart(20)} ms${' '.repeat(19)}${(f / n).toFixed(1).padStart(5)}×  ${f <= TARGET_MS ? 'met' : 'NOT MET'}`,
      );
      print(
        `           runs: ferry ${ferry.map((v) => v.toFixed(0)).join(', ')} ms; native ${native.map((v) => v.toFixed(0)).join(', ')} ms`,
      );
    }
  } finally {
    await server.stop();
    await dynamo.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
