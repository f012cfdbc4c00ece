import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { makeHandler as fluxEventsHandler } from '../../functions/http-flux-events.ts';
import { makeHandler as writeHandler } from '../../functions/sqs-write.ts';
import { makeHandler as dispatchHandler } from '../../functions/stream-dispatch.ts';
import { makeHandler as fluxStatusHandler } from '../../functions/stream-flux-status.ts';
import { makeHandler as notifyHandler } from '../../functions/stream-notify.ts';
import { makeHandler as policyHandler } from '../../functions/stream-policy.ts';
import { makeHandler as routerHandler } from '../../functions/stream-router.ts';
import { ensureTable } from '../adapters/dynamodb/create-table.ts';
import { makeSqsWriteQueue } from '../adapters/sqs/write-queue.ts';
import type { ApiDeps } from '../app/deps.ts';
import { sweepWaiting } from '../app/gate.ts';
import {
  dispatchDeps,
  fluxIntakeDeps,
  fluxStatusDeps,
  gateDeps,
  policyDeps,
  usersDeps,
  writerDeps,
} from '../compose/functions.ts';
import { makeNotifyDeps, type NotifyWiring } from '../compose/notify.ts';
import type { OidcConfig } from '../compose/oidc.ts';
import { streamRoutes } from '../compose/stream-router.ts';
import { gitopsReposOf, repoKeyOf } from '../config/gitops-repos.ts';
import {
  ROUTE_ATTEMPTS,
  ROUTE_RETRY_MS,
  STREAM_ROUTER_FUNCTION,
  STREAM_ROUTES,
} from '../config/stream-routes.ts';
import { FLUX_EVENTS_FUNCTION, LOCAL_ROUTES, UI_FUNCTION } from '../http/routes.ts';
import { instrument } from '../log/instrument.ts';
import { type Logger, type LogSink, stdoutSink } from '../log/logger.ts';
import { apiHandlers, type LocalGitops, localPlatform, localUiHandler } from './compose.ts';
import { startDeadLetterWatcher } from './dead-letters.ts';
import {
  type DynamoDbLocal,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localDynamoClient,
  startDynamoDbLocal,
} from './dynamodb-local.ts';
import { type LocalQueues, startLocalQueues } from './fauxqs.ts';
import { createBareRepo, type GitServer, startGitServer } from './git/git-server.ts';
import { type LocalHttpServer, startLocalHttpServer } from './http-server.ts';
import { resendUnfinished } from './outbox.ts';
import { type QueuePoller, startQueuePoller } from './queue-poller.ts';
import { startStreamPoller } from './stream-poller.ts';
import { watchWrites } from './write-signal.ts';

export const LOCAL_TABLE = 'ferry';
export const LOCAL_GITOPS_REPO = 'gitops.git';

export interface LocalStack {
  deps: ApiDeps;
  dynamo: Pick<DynamoDbLocal, 'endpoint' | 'client'>;
  tableName: string;
  queues: LocalQueues;
  http: LocalHttpServer;
  /** The local bare repository's server; absent when a real remote is configured. */
  git?: GitServer;
  gitops: LocalGitops;
  /** The queue → writer poller; benchmarks pause it to measure the writer alone. */
  writer: QueuePoller;
  stop(): Promise<void>;
}

export interface RemoteGitops {
  url: string;
  branch?: string;
  token?: string;
}

/**
 * Clones of the local gitops remote keep working across restarts: the server takes the port it had last
 * time (kept in `<dataDir>/git-port`) unless FERRY_GIT_PORT names one. If the remembered port is taken,
 * it takes a free one and says so (clones then need `git remote set-url`).
 */
async function startStableGitServer(
  root: string,
  dataDir: string,
  options: { gitPort?: number; host?: string; logger: Logger },
): Promise<GitServer> {
  const portFile = join(dataDir, 'git-port');
  const remembered = Number((await readFile(portFile, 'utf8').catch(() => '')).trim()) || undefined;
  const host = {
    ...(options.host ? { host: options.host } : {}),
    onRestart: (detail: Record<string, unknown>) =>
      options.logger.error('git server child died; restarting it', detail),
  };
  let server: GitServer;
  if (options.gitPort !== undefined) {
    server = await startGitServer({ root, port: options.gitPort, ...host });
  } else {
    server = await startGitServer({ root, port: remembered ?? 0, ...host }).catch(async (error: Error) => {
      if (remembered === undefined) throw error;
      options.logger.warn('the local gitops server’s previous port is taken; clones need a new remote URL', {
        port: remembered,
        error: error.message,
      });
      return startGitServer({ root, port: 0, ...host });
    });
  }
  await writeFile(portFile, `${new URL(server.url).port}\n`);
  return server;
}

/**
 * Starts every local stand-in, the API on one port, and the release pipeline behind it: the stream
 * poller feeds the dispatcher, the queue poller feeds the writer one batch at a time. On a failure
 * half-way, whatever already started is stopped again so no child process outlives the call.
 */
export type LocalStackOptions = Parameters<typeof startLocalStack>[0];

export async function startLocalStack(options: {
  port: number;
  dataDir?: string;
  logger: Logger;
  host?: string;
  /** A real gitops repository instead of the local bare one. */
  remote?: RemoteGitops;
  /** FERRY_GITOPS_REPOS: more repositories by environment (JSON), beside the default one. */
  gitopsRepos?: string;
  /** Like `gitopsRepos`, for more bare repositories on the local git server (tests): name and environments. */
  localRepos?: { name: string; envs: string[]; branch?: string }[];
  /** The local gitops server's port (FERRY_GIT_PORT); default: the one it had last time in dataDir. */
  gitPort?: number;
  /** The key Flux's generic-hmac Provider signs with (FERRY_FLUX_HMAC_KEY). */
  fluxHmacKey?: string;
  /** FERRY_BRANCH_RESTRICTIONS and FERRY_PROMOTION_CHAIN, as on Lambda. */
  policy?: { branchRestrictions?: string; promotionChain?: string };
  /** FERRY_OIDC_RULES, FERRY_OIDC_AUDIENCE and FERRY_OIDC_ISSUER, as on Lambda. */
  oidc?: OidcConfig;
  /** FERRY_GITHUB_WEBHOOK_SECRET: what GitHub signs webhook deliveries with. */
  githubWebhookSecret?: string;
  /** FERRY_SLACK_SIGNING_SECRET: what Slack signs interactive button presses with. */
  slackSigningSecret?: string;
  /** How often the gate sweep releases waiting requests whose freeze ended (EventBridge's minute on AWS). */
  sweepEveryMs?: number;
  /** Slack and GitHub: without tokens the notifier logs what it would send. */
  notify?: Pick<NotifyWiring, 'slack' | 'github'>;
  /** Answer 503 until `http.ready()` (npm start creates the admin first, so its token works at once). */
  holdTraffic?: boolean;
  /** An already running DynamoDB Local (tests share one per run) and the table to create in it. */
  shared?: { dynamoEndpoint: string; tableName: string };
  /** Where the functions' EMF metric lines go (stdout, as on Lambda, unless a test collects them). */
  metricsSink?: LogSink;
}): Promise<LocalStack> {
  // Each function runs as an invocation of its own name, as on Lambda: its log lines carry the function
  // and the invocation, and its metrics are written as EMF when the invocation ends.
  const sink = options.metricsSink ?? stdoutSink;
  const asFunction = <E, C, R>(name: string, handler: (event: E, context: C) => Promise<R>) =>
    instrument(handler, { functionName: name, sink });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'ferry-stack-')));
    if (!options.dataDir) stops.push(() => rm(dataDir, { recursive: true, force: true }));
    let dynamo: LocalStack['dynamo'];
    if (options.shared) {
      const endpoint = options.shared.dynamoEndpoint;
      dynamo = { endpoint, client: localDynamoClient(endpoint) };
    } else {
      const started = await startDynamoDbLocal(options.dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {});
      stops.push(started.stop);
      dynamo = started;
    }
    const tableName = options.shared?.tableName ?? LOCAL_TABLE;
    await ensureTable(dynamo.client, tableName);
    const queues = await startLocalQueues();
    stops.push(queues.stop);

    let git: GitServer | undefined;
    let gitops: LocalGitops;
    const cacheDir = join(dataDir, 'writer-cache');
    if (options.remote) {
      gitops = { url: options.remote.url, branch: options.remote.branch ?? 'main', cacheDir };
      if (options.remote.token) gitops.token = options.remote.token;
    } else {
      const root = join(dataDir, 'git');
      await createBareRepo(root, LOCAL_GITOPS_REPO);
      git = await startStableGitServer(root, dataDir, options);
      stops.push(git.stop);
      gitops = { url: git.repoUrl(LOCAL_GITOPS_REPO), branch: 'main', cacheDir };
      for (const extra of options.localRepos ?? []) await createBareRepo(root, extra.name);
    }
    const server = git;
    const listed = [
      ...(options.gitopsRepos ? (JSON.parse(options.gitopsRepos) as unknown[]) : []),
      ...(server
        ? (options.localRepos ?? []).map((r) => ({
            envs: r.envs,
            url: server.repoUrl(r.name),
            branch: r.branch ?? 'main',
          }))
        : []),
    ];
    if (listed.length > 0) gitops.repos = JSON.stringify(listed);

    const sqs = new SQSClient({
      endpoint: queues.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const platform = localPlatform({
      dynamo: dynamo.client,
      tableName,
      logger: options.logger,
      gitops,
      queue: { sqs, url: queues.writeQueueUrl },
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.oidc ? { oidc: options.oidc } : {}),
      secrets: {
        ...(options.fluxHmacKey ? { fluxHmacKey: options.fluxHmacKey } : {}),
        ...(options.githubWebhookSecret ? { githubWebhookSecret: options.githubWebhookSecret } : {}),
        ...(options.slackSigningSecret ? { slackSigningSecret: options.slackSigningSecret } : {}),
      },
    });
    // Every API function from one set of dependencies: http-users' (the API's and the OIDC exchange's).
    const deps = usersDeps(platform);
    const repos = gitopsReposOf(platform.gitops());
    const streams = new DynamoDBStreamsClient({
      endpoint: dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    // One reader of the table's stream, as on AWS: the router fans each record out to the consumers.
    const streamState = join(dataDir, 'streams');
    const streamPoller = await startStreamPoller({
      dynamo: dynamo.client,
      streams,
      tableName,
      logger: options.logger,
      // Every function of this stack writes through this one client: a write wakes the poller at once.
      writes: watchWrites(dynamo.client),
      stateDir: streamState,
      consumers: [
        {
          name: STREAM_ROUTER_FUNCTION,
          filter: STREAM_ROUTES.map((r) => r.filter),
          handler: asFunction(
            STREAM_ROUTER_FUNCTION,
            routerHandler({
              routes: streamRoutes(
                {
                  'stream-dispatch': dispatchHandler(dispatchDeps(platform)),
                  'stream-flux-status': fluxStatusHandler(fluxStatusDeps(platform)),
                  'stream-policy': policyHandler(policyDeps(platform)),
                  'stream-notify': notifyHandler(
                    makeNotifyDeps({
                      dynamo: dynamo.client,
                      tableName,
                      logger: options.logger,
                      gitopsRepoUrl: gitops.url,
                      ...options.notify,
                    }),
                  ),
                },
                sink,
              ),
              // A route's failure destination here: `<dataDir>/streams/failures/<route>.jsonl`.
              park: (failure) =>
                appendFile(
                  join(streamState, 'failures', `${failure.consumer}.jsonl`),
                  `${JSON.stringify(failure)}\n`,
                ),
              maxAttempts: ROUTE_ATTEMPTS,
              retryMs: ROUTE_RETRY_MS,
              logger: options.logger,
            }),
          ),
        },
      ],
    });
    stops.push(streamPoller.stop);
    // The in-memory queue lost whatever it held when the last run ended: send it again from the table.
    await resendUnfinished({
      dynamo: dynamo.client,
      tableName,
      gitops,
      logger: options.logger,
      repoKeyOf: repoKeyOf(repos),
      releases: deps.releases,
      queue: makeSqsWriteQueue(sqs, queues.writeQueueUrl),
      clock: deps.clock,
    });
    const deadLetters = startDeadLetterWatcher({
      sqs,
      queueUrl: queues.deadLetterQueueUrl,
      releases: deps.releases,
      clock: deps.clock,
      logger: options.logger,
    });
    stops.push(deadLetters.stop);
    // One poller per repository, as the writer's Lambda concurrency on AWS: the queue's FIFO groups are
    // the repositories, so each poller holds at most one repository's batch at a time.
    const writer = writerDeps(platform);
    const queuePoller = allOf(
      repos.all().map(() =>
        startQueuePoller({
          sqs,
          queueUrl: queues.writeQueueUrl,
          handler: asFunction('sqs-write', writeHandler(writer)),
          logger: options.logger,
        }),
      ),
    );
    stops.push(queuePoller.stop);
    // The scheduled sweep (an EventBridge rule on AWS): freeze windows end without anyone calling.
    const gate = gateDeps(platform);
    const sweeper = setInterval(() => {
      sweepWaiting(gate).catch((error: unknown) => options.logger.error('gate sweep failed', { error }));
    }, options.sweepEveryMs ?? 30_000);
    sweeper.unref();
    stops.push(async () => clearInterval(sweeper));

    const http = await startLocalHttpServer({
      port: options.port,
      ...(options.host ? { host: options.host } : {}),
      routes: LOCAL_ROUTES,
      startReady: !options.holdTraffic,
      handlers: {
        ...(Object.fromEntries(
          Object.entries(
            apiHandlers(
              deps,
              options.githubWebhookSecret ? { githubWebhookSecret: options.githubWebhookSecret } : {},
            ),
          ).map(([name, handler]) => [name, asFunction(name, handler)]),
        ) as ReturnType<typeof apiHandlers>),
        [UI_FUNCTION]: asFunction(UI_FUNCTION, localUiHandler(deps)),
        [FLUX_EVENTS_FUNCTION]: asFunction(FLUX_EVENTS_FUNCTION, fluxEventsHandler(fluxIntakeDeps(platform))),
      },
    });
    stops.push(http.close);
    // `ferry env init` writes this address into the environment's Flux Provider.
    deps.fluxEventsUrl ??= `${http.url}/api/flux-events`;
    return {
      deps,
      dynamo,
      tableName,
      queues,
      http,
      gitops,
      writer: queuePoller,
      ...(git ? { git } : {}),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Several queue pollers as one: pausing waits for each one's batch in flight. */
function allOf(pollers: QueuePoller[]): QueuePoller {
  return {
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
    },
    async pause() {
      await Promise.all(pollers.map((p) => p.pause()));
    },
    resume() {
      for (const p of pollers) p.resume();
    },
  };
}
