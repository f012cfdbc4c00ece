import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, AssetStaging, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RUNTIME } from '../../cdk/ferry-function.ts';
import { FerryStack } from '../../cdk/ferry-stack.ts';
import { ensureTable } from '../../lib/adapters/dynamodb/create-table.ts';
import { INDEXES } from '../../lib/adapters/dynamodb/schema.ts';
import {
  ENV_ADMIN_SECRET_ID,
  ENV_GIT_TOKEN_SECRET_ID,
  ENV_GITOPS_REPO_URL,
  ENV_SLACK_SIGNING_SECRET_ID,
  ENV_TABLE_NAME,
} from '../../lib/config/env.ts';
import { DISPATCH_FILTER } from '../../lib/config/stream-filters.ts';
import { STREAM_ROUTES } from '../../lib/config/stream-routes.ts';
import { API_FUNCTIONS, ROUTES, type RouteFunction, UI_FUNCTION } from '../../lib/http/routes.ts';
import type { LambdaHttpHandler } from '../../lib/http/types.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient } from '../../lib/local/dynamodb-local.ts';
import { startLocalHttpServer } from '../../lib/local/http-server.ts';
import { sampleArtifact } from '../fixtures/artifacts.ts';
import { requestJson } from '../support/http.ts';
import { startSecretsManager } from '../support/secrets-manager.ts';

const outdir = mkdtempSync(join(tmpdir(), 'ferry-cdk-'));
const GITOPS_URL = 'https://git.example.com/acme/gitops.git';
let template: Template;
let stack: FerryStack;

beforeAll(() => {
  // Test files share a worker's modules: CDK's process-wide cache of staged assets may name another
  // file's (since deleted, or never bundled) assembly.
  AssetStaging.clearAssetHashCache();
  // The template alone: bundling is skipped here (no stack listed in `aws:cdk:bundling-stacks`); the
  // bundles are tested below as the pinned CLI builds them, and run end to end in e2e.test.ts.
  const app = new App({
    outdir,
    context: { 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:bundling-stacks': [] },
  });
  stack = new FerryStack(app, 'Ferry', { gitops: { repoUrl: GITOPS_URL, branch: 'main' } });
  template = Template.fromStack(stack);
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('FerryStack', () => {
  it('creates the table from the shared schema, with streams, TTL and point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: INDEXES.map((index) =>
        Match.objectLike({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partition, KeyType: 'HASH' },
            { AttributeName: index.sort, KeyType: 'RANGE' },
          ],
        }),
      ),
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('creates exactly the routes of the shared route table', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey as string,
    );
    expect(routeKeys.sort()).toEqual(ROUTES.map((r) => r.routeKey).sort());
  });

  it('runs every function on Node 24 arm64; the API functions but health get the table and admin secret', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: RUNTIME.name, Architectures: ['arm64'] },
    });
    // The API functions, the dashboard's, flux-events, the stream router and the consumers it invokes,
    // the writer, the dead-letter drain and the release gate's scheduled sweep.
    expect(Object.keys(functions)).toHaveLength(API_FUNCTIONS.length + 6 + STREAM_ROUTES.length);
    const apiFunctions = Object.values(functions).filter(
      (fn) => fn.Properties.Environment.Variables[ENV_ADMIN_SECRET_ID] !== undefined,
    );
    // flux-events authenticates flux-role tokens too; health authenticates nobody.
    expect(apiFunctions).toHaveLength(API_FUNCTIONS.length);
    for (const fn of apiFunctions) {
      expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
        expect.arrayContaining([ENV_TABLE_NAME, ENV_ADMIN_SECRET_ID]),
      );
      expect(fn.Properties.LoggingConfig).toEqual({ LogFormat: 'JSON', LogGroup: expect.anything() });
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['secretsmanager:GetSecretValue']), Effect: 'Allow' }),
        ]),
      },
    });
  });

  it('generates the admin token secret and a FIFO write queue with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      ContentBasedDeduplication: false,
      DeduplicationScope: 'messageGroup',
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    template.hasOutput('ApiUrl', {});
    template.hasOutput('AdminTokenSecretArn', {});
  });

  it('feeds the FIFO queue to one writer with reserved concurrency 1 that reports failed messages', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: Match.objectLike({ [ENV_GIT_TOKEN_SECRET_ID]: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StateWrites'), 'Arn'] },
    });
  });

  it('relays new release requests from the table stream through the router, bisecting and parking what keeps failing', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: Match.arrayWith([{ Pattern: JSON.stringify(DISPATCH_FILTER) }]) },
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('sweeps the release gate every minute, and lets only http-releases read the Slack signing secret', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('schedulegatesweep'), 'Arn'] } }),
      ],
    });
    const withSecret = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: {
          Environment: { Variables: Match.objectLike({ [ENV_SLACK_SIGNING_SECRET_ID]: Match.anyValue() }) },
        },
      }),
    );
    expect(withSecret).toHaveLength(1);
  });
});

describe('cdk synth (the pinned CLI, offline) and the Lambda bundles it builds', () => {
  const saved = { ...process.env };
  const adminSecretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ferry-admin-AbCdEf';
  const adminToken = `admin-${randomUUID()}`;
  const cliOut = mkdtempSync(join(tmpdir(), 'ferry-synth-'));
  let cliTemplate: { Resources: Record<string, any> };
  let secrets: Awaited<ReturnType<typeof startSecretsManager>>;

  beforeAll(async () => {
    secrets = await startSecretsManager({ [adminSecretArn]: adminToken });
    // What an operator runs: `cdk synth` from cdk.json, no AWS credentials, bundling every function
    // with the esbuild in node_modules (no Docker). Fifteen bundles: about a minute within the suite.
    execFileSync('npx', ['cdk', 'synth', '--no-notices', '-q', '-o', cliOut], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: 'pipe',
    });
    cliTemplate = JSON.parse(readFileSync(join(cliOut, 'Ferry.template.json'), 'utf8'));
  }, 300_000);
  afterAll(async () => {
    process.env = saved;
    await secrets.close();
    rmSync(cliOut, { recursive: true, force: true });
  });

  /** One function's bundle in the CLI's assembly, found by its logical id and the asset metadata. */
  function bundlePath(fn: RouteFunction): string {
    const construct = stack.services.functions.get(fn)?.node.defaultChild;
    if (!construct) throw new Error(`no function ${fn}`);
    const logicalId = stack.getLogicalId(construct as CfnElement);
    const asset = cliTemplate.Resources[logicalId]?.Metadata?.['aws:asset:path'];
    if (!asset) throw new Error(`no asset metadata for ${fn} (${logicalId})`);
    return join(cliOut, asset, 'index.mjs');
  }

  it('synthesizes the stack from cdk.json without AWS credentials', () => {
    const types = Object.values(cliTemplate.Resources).map((r: any) => r.Type);
    expect(types.filter((t) => t === 'AWS::Lambda::Function')).toHaveLength(
      API_FUNCTIONS.length + 6 + STREAM_ROUTES.length,
    );
    expect(types).toContain('AWS::ApiGatewayV2::Api');
  });

  it('are self-contained ESM files', () => {
    for (const fn of API_FUNCTIONS) {
      const path = bundlePath(fn);
      expect(existsSync(path), path).toBe(true);
      expect(readFileSync(path, 'utf8')).not.toMatch(/from\s*["']@aws-sdk\//);
    }
  });

  it('serve the API against DynamoDB Local and a local Secrets Manager, wired only by environment', async () => {
    // Prepare: the environment the stack gives the functions, pointed at local stand-ins.
    const tableName = `bundle-${randomUUID()}`;
    const dynamo = localDynamoClient(inject('dynamoEndpoint'));
    await ensureTable(dynamo, tableName);
    dynamo.destroy();
    Object.assign(process.env, {
      [ENV_TABLE_NAME]: tableName,
      [ENV_GITOPS_REPO_URL]: GITOPS_URL,
      [ENV_ADMIN_SECRET_ID]: adminSecretArn,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    });
    const handlers = {} as Record<RouteFunction, LambdaHttpHandler>;
    for (const fn of [...API_FUNCTIONS, UI_FUNCTION] as RouteFunction[]) {
      handlers[fn] = (await import(pathToFileURL(bundlePath(fn)).href)).handler;
    }
    const server = await startLocalHttpServer({ port: 0, routes: ROUTES, handlers });
    const call = (method: string, path: string, token?: string, body?: unknown) =>
      requestJson(server.url, method, path, { ...(token ? { token } : {}), body });
    try {
      // Act
      const health = await call('GET', '/');
      const user = await call('POST', '/api/user', adminToken, { login: 'ci-bot', role: 'ci' });
      const shipped = await call('POST', '/api/artifact', user.body.token, sampleArtifact());
      const listed = await call('GET', '/api/artifacts?repository=acme/shop', user.body.token);
      const refused = await call('GET', '/api/users', 'not-the-admin-token');
      // The dashboard's files, built into the bundle's ui/ folder by the bundling hook.
      const page = await fetch(`${server.url}/ui/`);
      const html = await page.text();
      const script = /src="\/ui\/(main-\w+\.js)"/.exec(html)?.[1];
      const code = await fetch(`${server.url}/ui/${script}`);
      // Assess
      expect(health).toEqual({ status: 200, body: { status: 'ok' } });
      expect(user.status).toBe(201);
      expect(shipped.status).toBe(201);
      expect(listed.body.map((a: any) => a.id)).toEqual([shipped.body.id]);
      expect(refused.status).toBe(401);
      expect(page.status).toBe(200);
      expect(script).toBeDefined();
      expect(code.status).toBe(200);
      expect(code.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(secrets.calls).toContain(`secretsmanager.GetSecretValue ${adminSecretArn}`);
    } finally {
      await server.close();
    }
  }, 60_000);
});
