import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { App, AssetStaging, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { interceptLocalhostDns } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { RENDER_FUNCTION } from '../../cdk/ferry-services.ts';
import { FerryStack } from '../../cdk/ferry-stack.ts';
import { UNSET_SECRET } from '../../cdk/ferry-state.ts';
import { ensureTable } from '../../lib/adapters/dynamodb/create-table.ts';
import { ENV_GIT_CACHE_DIR } from '../../lib/config/env.ts';
import type { FilterPattern } from '../../lib/config/stream-filters.ts';
import {
  API_FUNCTIONS,
  FLUX_EVENTS_FUNCTION,
  ROUTES,
  type RouteFunction,
  UI_FUNCTION,
} from '../../lib/http/routes.ts';
import type { LambdaHttpHandler } from '../../lib/http/types.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient } from '../../lib/local/dynamodb-local.ts';
import { type LocalQueues, startLocalQueues } from '../../lib/local/fauxqs.ts';
import { createBareRepo, type GitServer, startGitServer } from '../../lib/local/git/git-server.ts';
import { type LocalHttpServer, startLocalHttpServer } from '../../lib/local/http-server.ts';
import { startQueuePoller } from '../../lib/local/queue-poller.ts';
import { type Poller, startStreamPoller } from '../../lib/local/stream-poller.ts';
import { makeLogger } from '../../lib/log/logger.ts';
import { artifact } from '../fixtures/artifacts.ts';
import { envKey, fluxEventBody, sign } from '../support/flux.ts';
import { requestJson } from '../support/http.ts';
import { type LambdaApi, startLambdaApi } from '../support/lambda-api.ts';
import { startSecretsManager } from '../support/secrets-manager.ts';

/**
 * The deployable artefact end to end: the stack is synthesized with bundling, and the `index.mjs` files it
 * wrote are imported and run against the local stand-ins. Each bundle is configured only by the
 * environment variables its function has in the template, with each CloudFormation reference swapped for
 * its local stand-in, and by the AWS_* variables an SDK honours on Lambda.
 */
const KEY = 'flux-hmac-key-for-e2e';
const ADMIN_TOKEN = `admin-${randomUUID()}`;
const ENV = 'staging';
const APP = 'web';
const work = mkdtempSync(join(tmpdir(), 'ferry-e2e-'));
const outdir = join(work, 'cdk.out');
/** The assembly `cdk synth` (the pinned CLI, from cdk.json) builds: the bundles this file runs. */
const cliOut = join(work, 'cli.out');
const ROOT = new URL('../..', import.meta.url).pathname;

type Handler = (event: any, context?: any) => Promise<any>;

let stack: FerryStack;
let resources: Record<string, any>;
let cliResources: Record<string, any>;
let git: GitServer;
let queues: LocalQueues;
let secrets: Awaited<ReturnType<typeof startSecretsManager>>;
let api: LocalHttpServer;
let fluxUrl: LocalHttpServer;
let lambdaApi: LambdaApi;
const pollers: Poller[] = [];
let restoreDns: (() => void) | undefined;
const clients: { destroy(): void }[] = [];
const savedEnv = { ...process.env };
/** What each function was asked and what escaped it: the pollers would only log a throw. */
const invocations = new Map<string, number>();
const thrown: string[] = [];
const logs: string[] = [];

const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

/** A function's bundle in the CLI's assembly, found by its logical id (the same construct path). */
function bundleOf(name: string): string {
  const asset = cliResources[logicalId(stack.services.functionNamed(name))]?.Metadata?.['aws:asset:path'];
  if (!asset) throw new Error(`no asset metadata for ${name}`);
  return join(cliOut, asset, 'index.mjs');
}

/** The function's variables from the template, each reference resolved to what stands in for it here. */
function environmentOf(name: string, local: Map<string, string>): Record<string, string> {
  const variables: Record<string, unknown> =
    resources[logicalId(stack.services.functionNamed(name))].Properties.Environment.Variables;
  const env: Record<string, string> = {};
  for (const [variable, value] of Object.entries(variables)) {
    const refOf = (v: any) => v?.Ref ?? v?.['Fn::GetAtt']?.join('.');
    // A JSON setting built from references (Stack.toJsonString): its parts, each reference resolved.
    const parts: unknown[] | undefined = (value as any)?.['Fn::Join']?.[1];
    const resolved =
      typeof value === 'string'
        ? value
        : parts
          ? parts.every((p) => typeof p === 'string' || local.has(refOf(p)))
            ? parts.map((p) => (typeof p === 'string' ? p : local.get(refOf(p)))).join('')
            : undefined
          : local.get(refOf(value));
    if (resolved === undefined) {
      throw new Error(`${name}: ${variable} is ${JSON.stringify(value)}, which nothing local stands in for`);
    }
    env[variable] = resolved;
  }
  // On Lambda every function has its own /tmp; here they share one machine, so each gets a directory.
  env[ENV_GIT_CACHE_DIR] = join(work, 'tmp', name);
  return env;
}

/**
 * Runs a bundle's handler under its own variables. A handler reads them while it builds its adapters,
 * synchronously on its first call, so they are swapped in for exactly that synchronous part.
 */
function asLambda(name: string, handler: Handler, env: Record<string, string>): Handler {
  return async (event, context) => {
    invocations.set(name, (invocations.get(name) ?? 0) + 1);
    const outer = process.env;
    process.env = { ...outer, ...env };
    let result: Promise<any>;
    try {
      result = handler(event, context);
    } finally {
      process.env = outer;
    }
    try {
      return await result;
    } catch (error) {
      thrown.push(`${name}: ${(error as Error).stack ?? error}`);
      throw error;
    }
  };
}

beforeAll(async () => {
  // The gitops remote first: its address is install configuration, synthesized into the template.
  await createBareRepo(join(work, 'git'), 'gitops.git');
  git = await startGitServer({ root: join(work, 'git') });
  // The bundles as an operator gets them: `cdk synth` from cdk.json, no AWS credentials, every function
  // bundled with the esbuild in node_modules (no Docker). Bundles do not depend on install settings.
  execFileSync('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', cliOut], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: 'pipe',
  });
  cliResources = JSON.parse(readFileSync(join(cliOut, 'Ferry.template.json'), 'utf8')).Resources;
  // This install's template (its gitops remote, its settings), for each function's variables; its
  // bundles are the CLI's, so it skips bundling (no stack in `aws:cdk:bundling-stacks`).
  // Test files share a worker's modules: CDK's process-wide cache of staged assets may name another
  // file's (since deleted, or never bundled) assembly.
  AssetStaging.clearAssetHashCache();
  const app = new App({
    outdir,
    context: { 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:bundling-stacks': [] },
  });
  stack = new FerryStack(app, 'Ferry', {
    gitops: { repoUrl: git.repoUrl('gitops.git'), branch: 'main' },
    slackChannels: { '*': '#releases' },
  });
  resources = (Template.fromStack(stack).toJSON() as { Resources: Record<string, any> }).Resources;

  const tableName = `e2e-${randomUUID()}`;
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  clients.push(dynamo);
  await ensureTable(dynamo, tableName);
  queues = await startLocalQueues();
  // fauxqs names its queues `http://sqs.<region>.localhost:<port>/…`, and an SDK configured by
  // AWS_ENDPOINT_URL_SQS sends to the queue URL's host, as on Lambda; `*.localhost` is loopback (RFC 6761),
  // which not every resolver knows.
  restoreDns = interceptLocalhostDns();
  const arn = (name: string) =>
    `arn:aws:secretsmanager:${LOCAL_REGION}:123456789012:secret:ferry-${name}-AbCdEf`;
  const { adminToken, fluxHmacKey, ...unset } = stack.state.secrets;
  // The admin token as generated at deploy, the HMAC key as filled in, the rest as the stack leaves them.
  const secretValues = new Map<IConstruct, string>([
    [adminToken, ADMIN_TOKEN],
    [fluxHmacKey, KEY],
    ...Object.values(unset).map((secret): [IConstruct, string] => [secret, UNSET_SECRET]),
  ]);
  secrets = await startSecretsManager(
    Object.fromEntries([...secretValues].map(([secret, value]) => [arn(logicalId(secret)), value])),
  );
  // Lambda's Invoke API, through which the stream router runs each consumer's bundle (by the name the
  // router's FERRY_STREAM_CONSUMER_FUNCTIONS gives it here: the consumer's own).
  const consumers: Record<string, Handler> = {};
  lambdaApi = await startLambdaApi(consumers);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    AWS_ENDPOINT_URL_SQS: queues.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
  });

  // A Function URL sends every request as route `$default`; it serves the flux-events bundle at `/`.
  const handlers = new Map<string, Handler>();
  fluxUrl = await startLocalHttpServer({
    port: 0,
    routes: [{ routeKey: 'POST /', fn: FLUX_EVENTS_FUNCTION }],
    handlers: {
      [FLUX_EVENTS_FUNCTION]: (event, context) =>
        (handlers.get(FLUX_EVENTS_FUNCTION) as LambdaHttpHandler)(
          {
            ...event,
            routeKey: '$default',
            requestContext: { ...event.requestContext, routeKey: '$default' },
          },
          context,
        ),
    },
  });

  const standIns = new Map<string, string>([
    [logicalId(stack.state.table), tableName],
    [logicalId(stack.state.writes), queues.writeQueueUrl],
    [`${logicalId(stack.services.fluxEventsUrl)}.FunctionUrl`, `${fluxUrl.url}/`],
    // The stream consumers' failure queues: nothing is parked in this run (a park would fail, and the
    // router would report the record, which the test would see as a consumer never finishing).
    ...stack.services.streamConsumers.map(({ failures }): [string, string] => [
      logicalId(failures),
      `${queues.endpoint}/000000000000/unused-${logicalId(failures)}`,
    ]),
    ...stack.services.streamConsumers.map(({ spec, fn }): [string, string] => [logicalId(fn), spec.name]),
    // The function the API invokes to check and render manifests, by its own name too.
    [logicalId(stack.services.render), RENDER_FUNCTION],
    ...[...secretValues.keys()].map((secret): [string, string] => [
      logicalId(secret),
      arn(logicalId(secret)),
    ]),
  ]);
  for (const name of stack.services.functions.keys()) {
    const env = environmentOf(name, standIns);
    const outer = process.env;
    // Imported under its own variables too, as Lambda would, in case a module reads one at load.
    process.env = { ...outer, ...env };
    try {
      const module = await import(pathToFileURL(bundleOf(name)).href);
      if (typeof module.handler !== 'function') throw new Error(`${name}: the bundle exports no handler`);
      handlers.set(name, asLambda(name, module.handler, env));
    } finally {
      process.env = outer;
    }
  }
  const handler = (name: string) => handlers.get(name) as Handler;
  for (const { spec } of stack.services.streamConsumers) consumers[spec.name] = handler(spec.name);
  consumers[RENDER_FUNCTION] = handler(RENDER_FUNCTION);

  api = await startLocalHttpServer({
    port: 0,
    routes: ROUTES,
    handlers: Object.fromEntries(
      [...API_FUNCTIONS, UI_FUNCTION].map((name) => [name, handler(name)]),
    ) as Record<RouteFunction, LambdaHttpHandler>,
  });

  // The event sources as the template declares them: the stream router with its filters, and the queue.
  const mappings = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
  const functionName = (mapping: any) =>
    [...stack.services.functions].find(
      ([, fn]) => logicalId(fn) === mapping.Properties.FunctionName.Ref,
    )?.[0] ?? '';
  const logger = makeLogger((line) => logs.push(line));
  const connection = {
    endpoint: inject('dynamoEndpoint'),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  };
  const streams = new DynamoDBStreamsClient(connection);
  const sqs = new SQSClient({ ...connection, endpoint: queues.endpoint });
  clients.push(streams, sqs);
  pollers.push(
    await startStreamPoller({
      dynamo,
      streams,
      tableName,
      logger,
      consumers: mappings
        .filter((m) => m.Properties.EventSourceArn['Fn::GetAtt'][1] === 'StreamArn')
        .map((m) => ({
          name: functionName(m),
          // The mapping's filters, OR-ed, as Lambda applies them.
          filter: m.Properties.FilterCriteria.Filters.map(
            (f: { Pattern: string }) => JSON.parse(f.Pattern) as FilterPattern,
          ),
          handler: handler(functionName(m)),
        })),
    }),
  );
  const writes = mappings.filter(
    (m) => m.Properties.EventSourceArn['Fn::GetAtt'][0] === logicalId(stack.state.writes),
  );
  expect(writes).toHaveLength(1);
  pollers.push(
    startQueuePoller({
      sqs,
      queueUrl: queues.writeQueueUrl,
      handler: handler(functionName(writes[0])),
      batchSize: writes[0].Properties.BatchSize,
      logger,
    }),
  );
  // The dead-letter drain reads the write queue's DLQ; nothing is parked in this run, so it gets the
  // empty batch its event source may hand it, and must answer with no failures.
  const parked = mappings.filter(
    (m) => m.Properties.EventSourceArn['Fn::GetAtt'][0] === logicalId(stack.state.writeDeadLetters),
  );
  expect(parked).toHaveLength(1);
  const drained = await handler(functionName(parked[0]))({ Records: [] }, {} as never);
  expect(drained).toEqual({ batchItemFailures: [] });
  // The release gate's sweep, as its EventBridge schedule invokes it: nothing waits yet.
  const swept = await handler('schedule-gate-sweep')({ source: 'aws.events' }, {} as never);
  expect(swept).toEqual({ released: [], rejected: [], waiting: 0 });
}, 300_000);

afterAll(async () => {
  for (const poller of pollers) await poller.stop();
  for (const client of clients) client.destroy();
  await api?.close();
  await fluxUrl?.close();
  await lambdaApi?.close();
  await secrets?.close();
  await queues?.stop();
  await git?.stop();
  restoreDns?.();
  process.env = savedEnv;
  rmSync(work, { recursive: true, force: true });
});

describe('the bundled functions, run from the synthesized assembly', () => {
  const call = (method: string, path: string, body?: unknown) =>
    requestJson(api.url, method, path, { token: ADMIN_TOKEN, ...(body !== undefined ? { body } : {}) });

  async function until(id: string, ok: (request: any) => boolean, timeoutMs = 30_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await call('GET', `/api/releases/${id}`);
      if (res.status === 200 && ok(res.body)) return res.body;
      if (Date.now() > deadline) {
        const recent = [...thrown, ...logs.slice(-10)].join('\n');
        throw new Error(`request ${id} never matched: ${JSON.stringify(res.body)}\n${recent}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('are one file per function in the template, loaded from a directory with no node_modules above it', () => {
    const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(stack.services.functions.size).toBe(functions.length);
    // `cdk synth` from cdk.json built the same functions, each a self-contained ESM file.
    const built = Object.values(cliResources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(built).toHaveLength(functions.length);
    expect(Object.values(cliResources).map((r) => r.Type)).toContain('AWS::ApiGatewayV2::Api');
    for (const name of stack.services.functions.keys()) {
      expect(readFileSync(bundleOf(name), 'utf8'), name).not.toMatch(/from\s*["']@aws-sdk\//);
    }
    // beforeAll imported every one of them: a bundle that needs a package it did not include fails there.
    for (const name of stack.services.functions.keys()) expect(existsSync(bundleOf(name)), name).toBe(true);
    expect(existsSync(join(tmpdir(), 'node_modules'))).toBe(false);
  });

  it('ship, deploy, commit to the remote and follow a signed Flux event to succeeded', async () => {
    // Prepare: Flux wired to the environment, as `ferry env init` does it.
    const init = await call('POST', `/api/environments/${ENV}/init`, {});
    expect(init.status).toBe(201);
    await until(init.body.id, (r) => r.state === 'committed');

    // Act: ship and deploy; the dispatcher and the writer commit it.
    const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}\ndata:\n  value: "1"\n`;
    const shipped = await call(
      'POST',
      '/api/artifact',
      artifact({}, [{ app: APP, env: ENV, manifests: manifest }]),
    );
    expect(shipped.status).toBe(201);
    const deploy = await call('POST', '/api/releases', { env: ENV, app: APP, artifactId: shipped.body.id });
    expect(deploy.status).toBe(201);
    const committed = await until(deploy.body.id, (r) => r.state === 'committed' || r.state === 'failed');
    expect(committed.state).toBe('committed');
    // The ship was checked and the deploy rendered in invoke-render's bundle, through Lambda's Invoke API.
    const renders = lambdaApi.calls.filter((c) => c.functionName === RENDER_FUNCTION);
    expect(renders.map((c) => [(c.payload as { op: string }).op, c.status])).toEqual([
      ['parseArtifact', 200],
      ['render', 200],
    ]);

    const clone = join(work, 'clone');
    execFileSync('git', ['clone', '-q', git.repoUrl('gitops.git'), clone], { stdio: 'pipe' });
    const head = execFileSync('git', ['-C', clone, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(head).toBe(committed.gitopsSha);
    const release = JSON.parse(readFileSync(join(clone, ENV, APP, 'release.json'), 'utf8'));
    expect(release).toMatchObject({ artifactId: shipped.body.id });
    // The Provider posts to the Function URL the stack handed the API functions.
    const provider = parse(readFileSync(join(clone, ENV, 'flux', 'provider.yaml'), 'utf8'));
    expect(provider.spec.address).toBe(`${fluxUrl.url}/?env=${ENV}`);

    // Flux reports the commit, signed with the key from the secret.
    const event = fluxEventBody({
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 1.2s, next run in 10m0s',
      metadata: { revision: `main@sha1:${committed.gitopsSha}` },
    });
    const posted = await fetch(provider.spec.address, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': sign(event, envKey(KEY, ENV)) },
      body: event,
    });
    expect(posted.status).toBe(200);

    // Assess: the status processor settled it, and the API says so.
    const done = await until(deploy.body.id, (r) => r.state === 'succeeded');
    expect(done).toMatchObject({ done: true, outcome: 'success', gitopsSha: committed.gitopsSha });
    const status = await call('GET', `/api/status?env=${ENV}&app=${APP}`);
    expect(status.status).toBe(200);
    expect(status.body[APP]).toMatchObject({ requestId: deploy.body.id, artifactId: shipped.body.id });
    const unsigned = await fetch(provider.spec.address, { method: 'POST', body: event });
    expect(unsigned.status).toBe(401);
    expect((await call('GET', '/')).status).toBe(200);
    expect((await call('GET', '/api/users')).status).toBe(200);
    const hook = await requestJson(api.url, 'POST', '/api/github-webhook', { body: {} });
    expect(hook.status).toBeGreaterThanOrEqual(400);
    expect(hook.status).toBeLessThan(500);
    // The dashboard, from the files its bundling hook built beside the function.
    const page = await fetch(`${api.url}/ui/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/ui/main-');
    for (const name of stack.services.functions.keys()) {
      expect(invocations.get(name), `${name} was never invoked`).toBeGreaterThan(0);
    }
    expect(thrown).toEqual([]);
  }, 120_000);

  it('refuses what does not parse or render with the 400 the bundled render function words', async () => {
    const bad = await call(
      'POST',
      '/api/artifact',
      artifact({}, [{ app: APP, env: ENV, manifests: 'kind: [unclosed\n' }]),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^environments\[0\]\.manifests: is not valid YAML/);
    const templated = await call(
      'POST',
      '/api/artifact',
      artifact({}, [{ app: APP, env: ENV, manifests: 'kind: {{ .NOPE }}\n' }]),
    );
    expect(templated.status).toBe(201);
    const deploy = await call('POST', '/api/releases', {
      env: ENV,
      app: APP,
      artifactId: templated.body.id,
    });
    expect(deploy.status).toBe(400);
    expect(deploy.body.error.message).toContain('NOPE');
    expect(thrown).toEqual([]);
  });
});
