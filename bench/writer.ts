/**
 * Release throughput and latency through the whole local stack (API → DynamoDB Local → stream poller →
 * dispatcher → fauxqs FIFO queue → queue poller → writer → `git http-backend`), against a gitops repo of
 * 2,000 files in 200 app folders, next to a native git CLI baseline measured in the same run on a second
 * bare repo, seeded the same way and served by the same git server child.
 *
 * - throughput: 200 deploys (one per app, each replacing its folder) posted by 8 concurrent clients;
 *   releases/s = 200 / (first POST → last release written).
 * - latency: 20 deploys one after another on the idle stack, POST sent → release written.
 * - baseline: the same 200 releases' files, one fetch → commit → push each on a warm clone.
 *
 * "Written" is when the writer's `release written` log line reaches the bench: after the push and after
 * the `committed` state is stored, so the first moment a client could see the release done. The state's
 * own `at` is taken before the commit is even built, so it flatters; the stage lines show both. Waiting
 * on that log line rather than polling keeps the bench's reads off the event loop the writer shares; every
 * request is read back through the API once all are written.
 *
 * Run: npm run bench:writer   (BENCH_APPS, BENCH_LATENCY_RUNS, BENCH_CONCURRENCY to change the sizes)
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_LOGIN } from '../lib/app/authenticate.ts';
import { bootstrapAdmin } from '../lib/app/users.ts';
import type { Artifact } from '../lib/domain/artifact.ts';
import { TRAILER } from '../lib/domain/gitops.ts';
import { type ReleaseRequest, releaseFile } from '../lib/domain/release.ts';
import { renderTarget } from '../lib/domain/render-target.ts';
import { runGit } from '../lib/local/git/git-cli.ts';
import { createBareRepo } from '../lib/local/git/git-server.ts';
import { LOCAL_GITOPS_REPO, type LocalStack, startLocalStack } from '../lib/local/stack.ts';
import { makeLogger } from '../lib/log/logger.ts';
import { type BaselineRelease, runNativeGitBaseline } from './support/native-git-baseline.ts';
import { seedGitopsRepo } from './support/seed-gitops.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const APPS = Number(process.env.BENCH_APPS ?? 200);
const FILES_PER_FOLDER = 10;
const LATENCY_RUNS = Math.min(APPS, Number(process.env.BENCH_LATENCY_RUNS ?? 20));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const ENV = 'staging';
const BRANCH = 'main';
const BASELINE_REPO = 'baseline.git';
const SETTLE_TIMEOUT_MS = 180_000;
const TARGET = { releasesPerSecond: 20, ratio: 5, p50Ms: 500 };

const print = (line = '') => process.stdout.write(`${line}\n`);
/** The seeder's folder names, so every deploy replaces a seeded folder. */
const appName = (i: number) => `app-${i}`;

/** Nearest-rank percentile; NaN entries (a state a request skipped) do not count. */
function percentile(values: number[], p: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of the results. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i] as T);
      }
    }),
  );
  return results;
}

/**
 * One artifact per phase, its ConfigMaps carrying the phase's name, so each deploy changes the folder
 * (seeded files, then the previous phase's) and none ends `unchanged`. 200 small manifests are ~40 KB,
 * far from the 1 MiB body and 380 KB stored limits; nothing caps the number of environments.
 */
function artifactInput(round: string, apps: number) {
  const configMap = (app: string) =>
    ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${app}-release`, `  namespace: ${ENV}`]
      .concat(['data:', `  ROUND: "${round}"`, ''])
      .join('\n');
  return {
    version: {
      repositoryName: 'acme/bench',
      sha: randomBytes(20).toString('hex'),
      branch: 'main',
      event: 'push',
    },
    context: { CI: 'true' },
    vars: {},
    items: [],
    environments: Array.from({ length: apps }, (_, i) => ({
      app: appName(i),
      env: ENV,
      manifests: configMap(appName(i)),
    })),
  };
}

/**
 * The stack's logger: keeps errors (printed at the end) and the moment each request's `release written`
 * line arrives; everything else is dropped.
 */
function benchLog() {
  const errors: string[] = [];
  const written = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const logger = makeLogger((line) => {
    if (line.includes('"level":"error"')) errors.push(line);
    if (!line.includes('"message":"release written"')) return;
    const { requestId } = JSON.parse(line) as { requestId: string };
    written.set(requestId, Date.now());
    waiters.get(requestId)?.();
  });
  /** The time request `id` was written; rejects after `timeoutMs`. */
  const writtenAt = (id: string, timeoutMs = SETTLE_TIMEOUT_MS) =>
    new Promise<number>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(id);
        resolve(written.get(id) as number);
      };
      const timer = setTimeout(() => {
        waiters.delete(id);
        reject(
          new Error(`request ${id} not written in ${timeoutMs} ms; errors:\n${errors.slice(-5).join('\n')}`),
        );
      }, timeoutMs);
      if (written.has(id)) done();
      else waiters.set(id, done);
    });
  return { logger, errors, writtenAt };
}

type BenchLog = ReturnType<typeof benchLog>;

interface Sent {
  id: string;
  app: string;
  postedAt: number;
}

interface Settled extends Sent {
  request: ReleaseRequest;
  writtenAt: number;
}

/** The API calls the phases make, as the admin. */
function client(stack: LocalStack, token: string, log: BenchLog) {
  const api = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }> => {
    const res = await fetch(stack.http.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    async ship(round: string, apps: number): Promise<Artifact> {
      const res = await api('POST', '/api/artifact', artifactInput(round, apps));
      if (res.status !== 201) throw new Error(`ship failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as Artifact;
    },
    async deploy(artifact: Artifact, app: string): Promise<Sent> {
      const postedAt = Date.now();
      const res = await api('POST', '/api/releases', { env: ENV, app, artifactId: artifact.id });
      if (res.status !== 201) throw new Error(`deploy ${app}: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id as string, app, postedAt };
    },
    /** Polls until the dispatcher has queued the request (the writer is paused meanwhile). */
    async queued(sent: Sent): Promise<void> {
      for (;;) {
        const res = await api('GET', `/api/releases/${sent.id}`);
        if (res.body?.state === 'queued') return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    /** Waits for the request's `release written` line, then reads the request back. */
    async settle(sent: Sent): Promise<Settled> {
      const writtenAt = await log.writtenAt(sent.id);
      const res = await api('GET', `/api/releases/${sent.id}`);
      if (res.status !== 200 || !res.body.done) {
        throw new Error(`request ${sent.id} written but not done: ${JSON.stringify(res.body)}`);
      }
      return { ...sent, writtenAt, request: res.body as ReleaseRequest };
    },
  };
}

type Client = ReturnType<typeof client>;

const stateAt = (request: ReleaseRequest, state: string): number => {
  const found = request.states.find((s) => s.state === state);
  return found ? Date.parse(found.at) : Number.NaN;
};

/**
 * Where the time went, from each request's states: requested → queued is the stream poller and the
 * dispatcher, queued → committed.at the queue poller and the writer up to building that commit, and
 * committed.at → written the rest of the batch's commits, its push and the recording of its outcomes.
 */
function printStages(phase: string, settled: Settled[]): void {
  const gap = (from: (s: Settled) => number, to: (s: Settled) => number) => {
    const values = settled.map((s) => to(s) - from(s));
    return `p50 ${percentile(values, 0.5).toFixed(0)} / p90 ${percentile(values, 0.9).toFixed(0)} ms`;
  };
  const at = (state: string) => (s: Settled) => stateAt(s.request, state);
  const posted = (s: Settled) => s.postedAt;
  const written = (s: Settled) => s.writtenAt;
  print(
    `  ${phase} stages: POST → requested ${gap(posted, at('requested'))}; ` +
      `requested → queued ${gap(at('requested'), at('queued'))}; ` +
      `queued → committed.at ${gap(at('queued'), at('committed'))}; ` +
      `committed.at → written ${gap(at('committed'), written)}; POST → written ${gap(posted, written)}`,
  );
}

/**
 * Every request committed, exactly one new commit each on the remote, each naming its own request in its
 * `Ferry-Request-Id` trailer.
 */
async function verifyCommits(repo: string, headBefore: string, settled: Settled[]): Promise<number> {
  const newCommits = Number(
    (await runGit(['--git-dir', repo, 'rev-list', '--count', `${headBefore}..${BRANCH}`])).trim(),
  );
  const format = `--format=%(trailers:key=${TRAILER.requestId},valueonly)`;
  const trailers = (await runGit(['--git-dir', repo, 'log', format, `${headBefore}..${BRANCH}`]))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const unique = new Set(trailers);
  const notCommitted = settled.filter((s) => s.request.state !== 'committed');
  const problems = [
    notCommitted.length > 0 &&
      `${notCommitted.length} requests not committed, e.g. ${notCommitted[0]?.app}: ` +
        `${notCommitted[0]?.request.state} ${notCommitted[0]?.request.reason ?? ''}`,
    newCommits !== settled.length && `${newCommits} new commits on the remote, expected ${settled.length}`,
    unique.size !== trailers.length &&
      `${trailers.length - unique.size} duplicate ${TRAILER.requestId} trailers`,
    (unique.size !== settled.length || settled.some((s) => !unique.has(s.id))) &&
      `the ${unique.size} ${TRAILER.requestId} trailers are not the ${settled.length} requests`,
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) throw new Error(`throughput phase incorrect:\n- ${problems.join('\n- ')}`);
  return newCommits;
}

async function throughputPhase(api: Client, log: BenchLog, repo: string, artifact: Artifact) {
  const headBefore = (await runGit(['--git-dir', repo, 'rev-parse', BRANCH])).trim();
  const apps = Array.from({ length: APPS }, (_, i) => appName(i));
  const firstPost = Date.now();
  const sent = await pool(apps, CONCURRENCY, (app) => api.deploy(artifact, app));
  const lastPost = Date.now();
  // Read back only once all are written, so the reads do not compete with the writer they measure.
  await Promise.all(sent.map((s) => log.writtenAt(s.id)));
  const settled = await pool(sent, CONCURRENCY, api.settle);
  const newCommits = await verifyCommits(repo, headBefore, settled);
  const elapsedMs = Math.max(...settled.map((s) => s.writtenAt)) - firstPost;
  const lastCommittedAt = Math.max(...settled.map((s) => stateAt(s.request, 'committed'))) - firstPost;
  print(
    `throughput: ${APPS} deploys posted in ${lastPost - firstPost} ms by ${CONCURRENCY} clients, all written ` +
      `${elapsedMs} ms after the first POST (last committed.at: ${lastCommittedAt} ms); ${newCommits} new ` +
      `commits with as many distinct ${TRAILER.requestId} trailers`,
  );
  printStages('throughput', settled);
  return (APPS / elapsedMs) * 1000;
}

/**
 * The queue and the writer alone: the writer is paused while the 200 requests are recorded and queued,
 * then drains the queue. releases/s = 200 / (resume → last release written). This is the figure the
 * single writer owns; the end-to-end phase also pays for 200 API calls and the dispatcher on the same
 * two cores and the same DynamoDB Local.
 */
async function writerPhase(stack: LocalStack, api: Client, log: BenchLog, repo: string, artifact: Artifact) {
  const headBefore = (await runGit(['--git-dir', repo, 'rev-parse', BRANCH])).trim();
  await stack.writer.pause();
  const sent = await pool(
    Array.from({ length: APPS }, (_, i) => appName(i)),
    CONCURRENCY,
    (app) => api.deploy(artifact, app),
  );
  await pool(sent, CONCURRENCY, api.queued);
  const resumed = Date.now();
  stack.writer.resume();
  await Promise.all(sent.map((s) => log.writtenAt(s.id)));
  const settled = await pool(sent, CONCURRENCY, api.settle);
  const newCommits = await verifyCommits(repo, headBefore, settled);
  const elapsedMs = Math.max(...settled.map((s) => s.writtenAt)) - resumed;
  print(
    `queue + writer: ${APPS} queued requests written ${elapsedMs} ms after the writer resumed; ` +
      `${newCommits} new commits with as many distinct ${TRAILER.requestId} trailers`,
  );
  return (APPS / elapsedMs) * 1000;
}

async function latencyPhase(api: Client, artifact: Artifact) {
  const settled: Settled[] = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const result = await api.settle(await api.deploy(artifact, appName(i)));
    const { state, reason } = result.request;
    if (state !== 'committed') throw new Error(`latency deploy to ${result.app} ended ${state}: ${reason}`);
    settled.push(result);
  }
  printStages('latency', settled);
  const latencies = settled.map((s) => s.writtenAt - s.postedAt);
  return { p50: percentile(latencies, 0.5), p90: percentile(latencies, 0.9) };
}

/** The files the writer commits for each app (rendered manifests and a release.json), by the git CLI. */
async function baselinePhase(remoteUrl: string, artifact: Artifact, workDir: string) {
  const releases: BaselineRelease[] = Array.from({ length: APPS }, (_, i) => {
    const app = appName(i);
    const record = {
      app,
      env: ENV,
      artifactId: artifact.id,
      triggeredBy: ADMIN_LOGIN,
      version: artifact.version,
      requestId: `baseline-${i}`,
      intent: 'deploy' as const,
    };
    const files = [
      ...renderTarget(artifact, ENV, app),
      { name: 'release.json', content: releaseFile(record) },
    ];
    return { env: ENV, app, files };
  });
  const result = await runNativeGitBaseline({ remoteUrl, branch: BRANCH, releases, workDir });
  print(
    `baseline: ${APPS} fetch-commit-push rounds in ${result.totalMs.toFixed(0)} ms (per release ` +
      `p50 ${percentile(result.perRelease, 0.5).toFixed(0)} / p90 ${percentile(result.perRelease, 0.9).toFixed(0)} ms)`,
  );
  return (APPS / result.totalMs) * 1000;
}

function printTable(rows: [phase: string, figure: string, value: string, target: string, met?: boolean][]) {
  print();
  print(`${'phase'.padEnd(11)} ${'figure'.padEnd(20)} ${'value'.padStart(9)}  ${'target'.padEnd(9)} met?`);
  for (const [phase, figure, value, target, met] of rows) {
    const verdict = met === undefined ? '' : met ? 'yes' : 'NO';
    print(`${phase.padEnd(11)} ${figure.padEnd(20)} ${value.padStart(9)}  ${target.padEnd(9)} ${verdict}`);
  }
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ferry-bench-writer-'));
  const cloneDir = await mkdtemp(join(tmpdir(), 'ferry-bench-baseline-'));
  // A signal exits through process.exit, whose hooks kill DynamoDB Local and the git server child.
  const removeDirs = () => {
    for (const dir of [dataDir, cloneDir]) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', removeDirs);
  const log = benchLog();
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({ port: 0, logger: log.logger, dataDir });
    const git = stack.git;
    if (!git) throw new Error('the local stack started without its git server');
    const api = client(stack, (await bootstrapAdmin(stack.deps.users, stack.deps.clock)) as string, log);
    const gitRoot = join(dataDir, 'git');
    const ferryRepo = join(gitRoot, LOCAL_GITOPS_REPO);
    const baselineRepo = await createBareRepo(gitRoot, BASELINE_REPO, { branch: BRANCH });
    const seed = { folders: APPS, filesPerFolder: FILES_PER_FOLDER, env: ENV, branch: BRANCH };
    await seedGitopsRepo(ferryRepo, seed);
    await seedGitopsRepo(baselineRepo, seed);
    print(`seeded two repos with ${APPS * (FILES_PER_FOLDER + 1)} files in ${APPS} folders`);

    const warm = await api.ship('warm-up', 1);
    const bulk = await api.ship('throughput', APPS);
    const drained = await api.ship('writer', APPS);
    const single = await api.ship('latency', LATENCY_RUNS);
    // The writer's first batch clones the repo; a warm Lambda's /tmp already holds the clone.
    const warmStarted = Date.now();
    await api.settle(await api.deploy(warm, appName(0)));
    print(`warm-up deploy (the writer's first fetch): ${Date.now() - warmStarted} ms`);

    const endToEnd = await throughputPhase(api, log, ferryRepo, bulk);
    const releasesPerSecond = await writerPhase(stack, api, log, ferryRepo, drained);
    const { p50, p90 } = await latencyPhase(api, single);
    const baselinePerSecond = await baselinePhase(git.repoUrl(BASELINE_REPO), bulk, join(cloneDir, 'clone'));
    const ratio = releasesPerSecond / baselinePerSecond;

    printTable([
      ['end to end', 'API → pushed releases/s', endToEnd.toFixed(1), ''],
      [
        'throughput',
        'queue + writer releases/s',
        releasesPerSecond.toFixed(1),
        `>= ${TARGET.releasesPerSecond}`,
        releasesPerSecond >= TARGET.releasesPerSecond,
      ],
      ['baseline', 'git CLI releases/s', baselinePerSecond.toFixed(1), ''],
      ['ratio', 'Ferry / baseline', `${ratio.toFixed(1)}x`, `>= ${TARGET.ratio}x`, ratio >= TARGET.ratio],
      ['latency', 'p50 POST → written', `${p50.toFixed(0)} ms`, `< ${TARGET.p50Ms} ms`, p50 < TARGET.p50Ms],
      ['latency', 'p90 POST → written', `${p90.toFixed(0)} ms`, ''],
    ]);
    if (log.errors.length > 0) {
      process.stderr.write(`the stack logged ${log.errors.length} errors; the last ones:\n`);
      for (const line of log.errors.slice(-5)) process.stderr.write(`${line}\n`);
    }
    print(
      `writer: ${releasesPerSecond.toFixed(1)} releases/s, ${ratio.toFixed(1)}x baseline, p50 ${Math.round(p50)} ms`,
    );
  } finally {
    await stack?.stop();
    removeDirs();
    process.off('exit', removeDirs);
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
