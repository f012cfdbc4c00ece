import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, AssetStaging } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME } from '../../cdk/ferry-function.ts';
import { FerryStack } from '../../cdk/ferry-stack.ts';
import { INDEXES } from '../../lib/adapters/dynamodb/schema.ts';
import {
  ENV_ADMIN_SECRET_ID,
  ENV_GIT_TOKEN_SECRET_ID,
  ENV_SLACK_SIGNING_SECRET_ID,
  ENV_TABLE_NAME,
} from '../../lib/config/env.ts';
import { DISPATCH_FILTER } from '../../lib/config/stream-filters.ts';
import { STREAM_ROUTES } from '../../lib/config/stream-routes.ts';
import { API_FUNCTIONS, ROUTES } from '../../lib/http/routes.ts';

const outdir = mkdtempSync(join(tmpdir(), 'ferry-cdk-'));
const GITOPS_URL = 'https://git.example.com/acme/gitops.git';
let template: Template;
let stack: FerryStack;

beforeAll(() => {
  // Test files share a worker's modules: CDK's process-wide cache of staged assets may name another
  // file's (since deleted, or never bundled) assembly.
  AssetStaging.clearAssetHashCache();
  // The template alone: bundling is skipped here (no stack listed in `aws:cdk:bundling-stacks`); the
  // bundles the pinned CLI's `cdk synth` builds are run end to end in e2e.test.ts.
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
    // the writer, the dead-letter drain, the release gate's scheduled sweep and the render function.
    expect(Object.keys(functions)).toHaveLength(API_FUNCTIONS.length + 7 + STREAM_ROUTES.length);
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
