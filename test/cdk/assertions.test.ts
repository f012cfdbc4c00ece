import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { App, AssetStaging, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CONTEXT_KEYS,
  DEFAULT_CONFIG,
  type InstallConfig,
  readInstallConfig,
  repositoryCount,
  SETTINGS_BUDGET_BYTES,
} from '../../cdk/config.ts';
import { ALARMS } from '../../cdk/ferry-alarms.ts';
import { BUNDLE_TARGET, RUNTIME } from '../../cdk/ferry-function.ts';
import {
  DEAD_LETTERS_FUNCTION,
  GATE_SWEEP_FUNCTION,
  HEALTH_FUNCTION,
  RENDER_FUNCTION,
  RENDERING_FUNCTIONS,
  routerTimeoutSeconds,
  UNRESERVED_WRITER_MAX_CONCURRENCY,
  WRITER_FUNCTION,
} from '../../cdk/ferry-services.ts';
import { FerryStack, type FerryStackProps, UNRESERVED_MINIMUM } from '../../cdk/ferry-stack.ts';
import { UNSET_SECRET } from '../../cdk/ferry-state.ts';
import { STREAM_CONSUMERS } from '../../cdk/stream-consumers.ts';
import {
  ENV_ADMIN_SECRET_ID,
  ENV_BRANCH_RESTRICTIONS,
  ENV_FLUX_EVENTS_URL,
  ENV_FLUX_HMAC_SECRET_ID,
  ENV_GIT_TOKEN_SECRET_ID,
  ENV_GITHUB_TOKEN_SECRET_ID,
  ENV_GITHUB_WEBHOOK_SECRET_ID,
  ENV_GITOPS_BRANCH,
  ENV_GITOPS_REPO_URL,
  ENV_OIDC_AUDIENCE,
  ENV_OIDC_RULES,
  ENV_PROMOTION_CHAIN,
  ENV_RENDER_FUNCTION,
  ENV_SLACK_CHANNELS,
  ENV_SLACK_SIGNING_SECRET_ID,
  ENV_SLACK_TEMPLATES,
  ENV_SLACK_TOKEN_SECRET_ID,
  ENV_TABLE_NAME,
  ENV_WRITE_QUEUE_URL,
} from '../../lib/config/env.ts';
import { ENV_GITOPS_REPOS } from '../../lib/config/gitops-repos.ts';
import {
  ENV_STREAM_CONSUMER_FUNCTIONS,
  ENV_STREAM_FAILURE_QUEUES,
  ROUTE_ATTEMPTS,
  ROUTE_RETRY_MS,
  STREAM_ROUTER_FUNCTION,
  STREAM_ROUTES,
} from '../../lib/config/stream-routes.ts';
import { API_FUNCTIONS, FLUX_EVENTS_FUNCTION, ROUTES, UI_FUNCTION } from '../../lib/http/routes.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const GITOPS = { repoUrl: 'https://git.example.com/acme/gitops.git', branch: 'main' };
const ALARM_EMAIL = 'platform@example.com';
const ALARM_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:platform-alarms';

/**
 * A `Resource: "*"` is allowed only for these actions, each because AWS offers nothing narrower.
 */
const WILDCARD_RESOURCE_ALLOWED: Record<string, string> = {
  // No resource-level permissions exist for ListStreams; the table stream event sources call it.
  'dynamodb:ListStreams': 'DynamoDB ListStreams supports only Resource "*"',
};

const CONFIGURED: Partial<InstallConfig> = {
  slackChannels: { production: '#releases-prod', '*': '#releases' },
  slackTemplates: { succeeded: '{{app}} is live in {{env}}' },
  branchRestrictions: [{ env: 'production', branch: '^main$' }],
  promotionChain: ['staging', 'production'],
  alarms: { email: ALARM_EMAIL },
  throttle: { rateLimit: 20, burstLimit: 40 },
  concurrency: { reserve: true, fluxEvents: 25 },
  oidc: {
    rules: [{ repository: 'acme/web', ref: 'refs/heads/main', role: 'ci', envs: ['staging'] }],
    audience: 'https://ferry.example.com',
  },
};

/**
 * Stacks synthesized in-process without bundling (`aws:cdk:bundling-stacks: []`): the template is the same
 * but for asset hashes, and the bundles themselves are tested by test/cdk/e2e.test.ts.
 */
function synth(props: Partial<FerryStackProps> = {}) {
  // Test files share a worker's modules: CDK's process-wide cache of staged assets may name another
  // file's (since deleted, or never bundled) assembly.
  AssetStaging.clearAssetHashCache();
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new FerryStack(app, 'Ferry', { gitops: GITOPS, ...props });
  const template = Template.fromStack(stack);
  const json = template.toJSON() as { Resources: Record<string, any>; Outputs: Record<string, any> };
  const id = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const fnId = (name: string) => id(stack.services.functionNamed(name));
  const nameOf = new Map([...stack.services.functions].map(([name, fn]) => [id(fn), name]));
  const of = (type: string) =>
    Object.entries(json.Resources).filter(([, r]) => r.Type === type) as [string, any][];
  return { stack, template, json, id, fnId, nameOf, of };
}

type Synth = ReturnType<typeof synth>;
let configured: Synth;
let plain: Synth;
let imported: Synth;
let unreserved: Synth;

beforeAll(() => {
  configured = synth(CONFIGURED);
  plain = synth();
  imported = synth({ alarms: { topicArn: ALARM_TOPIC } });
  unreserved = synth({ concurrency: { reserve: false, fluxEvents: 10 } });
}, 120_000);

/** Every IAM statement in the template, with where it comes from. */
function statements(t: Synth): { from: string; statement: any }[] {
  const found: { from: string; statement: any }[] = [];
  for (const [id, r] of Object.entries(t.json.Resources)) {
    const documents = [
      r.Properties?.PolicyDocument,
      ...(r.Properties?.Policies ?? []).map((p: any) => p.PolicyDocument),
    ].filter(Boolean);
    for (const doc of documents) for (const statement of doc.Statement) found.push({ from: id, statement });
  }
  return found;
}

const list = (value: unknown) => (Array.isArray(value) ? value : [value]);

/** The functions whose roles may read a secret, by the secret's logical id. */
function secretReaders(t: Synth, secretId: string): string[] {
  return statements(t)
    .filter(
      ({ statement }) =>
        list(statement.Action).includes('secretsmanager:GetSecretValue') &&
        list(statement.Resource).some((r: any) => r?.Ref === secretId),
    )
    .map(({ from }) => {
      const role = t.json.Resources[from].Properties.Roles[0].Ref;
      const fn = t.of('AWS::Lambda::Function').find(([, f]) => f.Properties.Role['Fn::GetAtt'][0] === role);
      return t.nameOf.get(fn?.[0] ?? '') ?? from;
    })
    .sort();
}

describe('the HTTP API', () => {
  it('routes every key of ROUTES to the function ROUTES names, and has no other route', () => {
    const { json, of, nameOf } = configured;
    const wired = of('AWS::ApiGatewayV2::Route').map(([, route]) => {
      const integration = json.Resources[route.Properties.Target['Fn::Join'][1][1].Ref];
      const fnId = integration.Properties.IntegrationUri['Fn::GetAtt'][0];
      expect(route.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
      return `${route.Properties.RouteKey} → ${nameOf.get(fnId)}`;
    });
    expect(wired.sort()).toEqual(ROUTES.map((r) => `${r.routeKey} → ${r.fn}`).sort());
    expect(of('AWS::ApiGatewayV2::Authorizer')).toEqual([]);
  });

  it('throttles the default stage with the configured rate and burst, and sane defaults', () => {
    configured.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
    plain.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_CONFIG.throttle.rateLimit,
        ThrottlingBurstLimit: DEFAULT_CONFIG.throttle.burstLimit,
      },
    });
  });

  it('outputs the API URL, the Flux events URL and every secret to fill in or read', () => {
    expect(Object.keys(configured.json.Outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'DashboardUrl',
        'FluxEventsUrl',
        'AdminTokenSecretName',
        'GitTokenSecretName',
        'SlackTokenSecretName',
        'GithubTokenSecretName',
        'FluxHmacKeySecretName',
        'GithubWebhookSecretName',
        'AlarmTopicArn',
      ]),
    );
    expect(plain.json.Outputs.AlarmTopicArn).toBeUndefined();
    // The dashboard is served by the API itself, so it shares the API's origin.
    expect(JSON.stringify(configured.json.Outputs.DashboardUrl.Value)).toContain(
      JSON.stringify(configured.json.Outputs.ApiUrl.Value).slice(1, -1),
    );
  });
});

describe('the only unauthenticated entry', () => {
  it('is the flux-events Function URL (auth NONE); every other invoke permission is API Gateway’s', () => {
    const { of, fnId, id, stack } = configured;
    const flux = fnId(FLUX_EVENTS_FUNCTION);
    const urls = of('AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
    expect(urls[0]?.[1].Properties).toMatchObject({
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [flux, 'Arn'] },
    });
    const apiId = id(stack.services.api);
    for (const [logicalId, { Properties: p }] of of('AWS::Lambda::Permission')) {
      if (p.Principal === 'apigateway.amazonaws.com') {
        // Scoped to this API's routes, so no other API can invoke the functions.
        expect(JSON.stringify(p.SourceArn), logicalId).toContain(apiId);
        continue;
      }
      if (p.Principal === 'events.amazonaws.com') {
        // Only the gate sweep's schedule, and only from its own rule.
        expect(p.FunctionName, logicalId).toEqual({ 'Fn::GetAtt': [fnId(GATE_SWEEP_FUNCTION), 'Arn'] });
        expect(p.SourceArn?.['Fn::GetAtt']?.[1], logicalId).toBe('Arn');
        continue;
      }
      expect(p.Principal, logicalId).toBe('*');
      expect(p.FunctionName, logicalId).toEqual({ 'Fn::GetAtt': [flux, 'Arn'] });
      expect(
        (p.Action === 'lambda:InvokeFunctionUrl' && p.FunctionUrlAuthType === 'NONE') ||
          (p.Action === 'lambda:InvokeFunction' && p.InvokedViaFunctionUrl === true),
        `${logicalId}: a public permission that is not the Function URL's`,
      ).toBe(true);
    }
  });

  it('is the address every API function but health gives `ferry env init`', () => {
    const { of, nameOf, id, stack } = configured;
    const url = { 'Fn::GetAtt': [id(stack.services.fluxEventsUrl), 'FunctionUrl'] };
    const served = API_FUNCTIONS.filter((fn) => fn !== HEALTH_FUNCTION) as readonly string[];
    const apiFunctions = of('AWS::Lambda::Function').filter(([fid]) =>
      served.includes(nameOf.get(fid) ?? ''),
    );
    expect(apiFunctions).toHaveLength(served.length);
    for (const [, fn] of apiFunctions)
      expect(fn.Properties.Environment.Variables[ENV_FLUX_EVENTS_URL]).toEqual(url);
    expect(configured.json.Outputs.FluxEventsUrl.Value).toEqual(url);
  });
});

describe('the writer', () => {
  it('runs at reserved concurrency 1, fed only by the FIFO write queue, reporting failed messages', () => {
    const { of, fnId, id, stack } = configured;
    const writer = fnId(WRITER_FUNCTION);
    expect(configured.json.Resources[writer].Properties.ReservedConcurrentExecutions).toBe(1);
    const sources = of('AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => m.Properties.FunctionName.Ref === writer,
    );
    expect(sources.map(([, m]) => m.Properties)).toEqual([
      expect.objectContaining({
        EventSourceArn: { 'Fn::GetAtt': [id(stack.state.writes), 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    ]);
    // No other function reads the write queue.
    const readers = of('AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => m.Properties.EventSourceArn['Fn::GetAtt']?.[0] === id(stack.state.writes),
    );
    expect(readers).toHaveLength(1);
  });

  it('has its dead-letter queue drained by sqs-dead-letters alone, in batches of 10, reporting failures', () => {
    const { of, fnId, id, stack } = configured;
    const readers = of('AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => m.Properties.EventSourceArn['Fn::GetAtt']?.[0] === id(stack.state.writeDeadLetters),
    );
    expect(readers.map(([, m]) => m.Properties)).toEqual([
      expect.objectContaining({
        FunctionName: { Ref: fnId(DEAD_LETTERS_FUNCTION) },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    ]);
  });

  it('lets sqs-dead-letters use the table and consume its queue, and nothing else: no secret, no repository', () => {
    const { json, fnId, id, stack } = configured;
    const fn = json.Resources[fnId(DEAD_LETTERS_FUNCTION)].Properties;
    const role = fn.Role['Fn::GetAtt'][0];
    const mine = statements(configured).filter(
      ({ from }) => json.Resources[from].Properties.Roles?.[0]?.Ref === role,
    );
    const actions = mine.flatMap(({ statement }) => list(statement.Action));
    expect(actions.some((a: string) => a.startsWith('secretsmanager:'))).toBe(false);
    expect(actions.some((a: string) => a.startsWith('dynamodb:'))).toBe(true);
    const resources = mine.flatMap(({ statement }) => list(statement.Resource)).map((r) => JSON.stringify(r));
    const sqsResources = mine
      .filter(({ statement }) => list(statement.Action).some((a: string) => a.startsWith('sqs:')))
      .flatMap(({ statement }) => list(statement.Resource));
    expect(sqsResources).toEqual([{ 'Fn::GetAtt': [id(stack.state.writeDeadLetters), 'Arn'] }]);
    expect(resources.some((r) => r.includes(id(stack.state.writes)))).toBe(false);
  });

  it('takes writes from a FIFO queue with explicit deduplication ids and a FIFO dead-letter queue', () => {
    const { json, id, stack } = configured;
    const writes = json.Resources[id(stack.state.writes)].Properties;
    const dlq = json.Resources[id(stack.state.writeDeadLetters)].Properties;
    expect(writes).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [id(stack.state.writeDeadLetters), 'Arn'] } },
    });
    expect(dlq.FifoQueue).toBe(true);
  });

  it('is fed by the dispatcher alone: no other role may send to the write queue', () => {
    const { id, stack, json } = configured;
    const senders = statements(configured)
      .filter(
        ({ statement }) =>
          list(statement.Action).includes('sqs:SendMessage') &&
          list(statement.Resource).some((r: any) => r['Fn::GetAtt']?.[0] === id(stack.state.writes)),
      )
      .map(({ from }) => json.Resources[from].Properties.Roles[0].Ref);
    expect(senders).toEqual([id(stack.dispatcher.role as IConstruct)]);
  });
});

describe('the table stream consumers', () => {
  it('read the stream through one router: at most two readers per shard, as AWS documents', () => {
    // "Having more than two readers simultaneously reading from the same streams shard can result in
    // throttling" (DynamoDB Developer Guide, DynamoDB Streams and AWS Lambda triggers).
    const { of, fnId, id, stack } = configured;
    const streamSources = of('AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => m.Properties.EventSourceArn['Fn::GetAtt']?.[1] === 'StreamArn',
    );
    expect(streamSources.length).toBeLessThanOrEqual(2);
    expect(streamSources).toHaveLength(1);
    const [, mapping] = streamSources[0] ?? [];
    expect(mapping?.Properties).toMatchObject({
      FunctionName: { Ref: fnId(STREAM_ROUTER_FUNCTION) },
      EventSourceArn: { 'Fn::GetAtt': [id(stack.state.table), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      // Every consumer's filter, OR-ed; the router applies each to its own consumer.
      FilterCriteria: { Filters: STREAM_ROUTES.map((route) => ({ Pattern: JSON.stringify(route.filter) })) },
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ParallelizationFactor: 1,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [id(stack.services.streamRouterFailures), 'Arn'] } },
      },
    });
  });

  it('parks each consumer’s failures in its own queue, which the router may send to', () => {
    const { stack, id } = configured;
    const queues = routerMap(ENV_STREAM_FAILURE_QUEUES);
    expect(Object.keys(queues).sort()).toEqual(STREAM_CONSUMERS.map((s) => s.name).sort());
    for (const { spec, failures } of stack.services.streamConsumers) {
      expect(queues[spec.name]).toBe(id(failures));
      const senders = statements(configured).filter(
        ({ statement }) =>
          list(statement.Action).includes('sqs:SendMessage') &&
          list(statement.Resource).some((r: any) => r['Fn::GetAtt']?.[0] === id(failures)),
      );
      expect(senders.length, spec.name).toBe(1);
    }
  });

  it('runs each consumer as its own function, which only the router invokes and no event source feeds', () => {
    const { of, fnId, stack } = configured;
    const functions = routerMap(ENV_STREAM_CONSUMER_FUNCTIONS);
    // One function per route the router routes (STREAM_ROUTES), none missing and none extra.
    expect(Object.keys(functions).sort()).toEqual(STREAM_ROUTES.map((r) => r.name).sort());
    expect(STREAM_CONSUMERS.map((s) => s.name).sort()).toEqual(STREAM_ROUTES.map((r) => r.name).sort());
    const routerRole = roleOf(configured, STREAM_ROUTER_FUNCTION);
    for (const { spec, fn } of stack.services.streamConsumers) {
      expect(fn).toBe(stack.services.functions.get(spec.name));
      expect(functions[spec.name], spec.name).toBe(fnId(spec.name));
      const fed = of('AWS::Lambda::EventSourceMapping').filter(
        ([, m]) => m.Properties.FunctionName.Ref === fnId(spec.name),
      );
      expect(fed, spec.name).toEqual([]);
      expect(invokersOf(configured, spec.name), spec.name).toEqual([routerRole]);
    }
  });

  it('lets the router read the stream, invoke the four consumers and park, and nothing else', () => {
    const { fnId, id, stack } = configured;
    const routerRole = roleOf(configured, STREAM_ROUTER_FUNCTION);
    const own = statements(configured).filter(
      ({ from }) => configured.json.Resources[from].Properties.Roles?.[0]?.Ref === routerRole,
    );
    const actions = new Set(own.flatMap(({ statement }) => list(statement.Action)));
    expect([...actions].sort()).toEqual(
      [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'lambda:InvokeFunction',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ].sort(),
    );
    const invoked = own
      .filter(({ statement }) => list(statement.Action).includes('lambda:InvokeFunction'))
      .flatMap(({ statement }) => list(statement.Resource))
      .map((r: any) => r['Fn::GetAtt']?.[0] ?? r['Fn::Join']?.[1]?.[0]?.['Fn::GetAtt']?.[0]);
    expect(new Set(invoked)).toEqual(new Set(STREAM_CONSUMERS.map((s) => fnId(s.name))));
    const sentTo = own
      .filter(({ statement }) => list(statement.Action).includes('sqs:SendMessage'))
      .flatMap(({ statement }) => list(statement.Resource))
      .map((r: any) => r['Fn::GetAtt']?.[0]);
    expect(new Set(sentTo)).toEqual(
      new Set([
        ...stack.services.streamConsumers.map(({ failures }) => id(failures)),
        id(stack.services.streamRouterFailures),
      ]),
    );
  });

  it('gives the router time for every try of the slowest consumer, and flux-status 1024 MB for its clone', () => {
    const props = (name: string) => configured.json.Resources[configured.fnId(name)].Properties;
    const slowest = Math.max(...STREAM_CONSUMERS.map((spec) => props(spec.name).Timeout as number));
    expect(slowest).toBe(60);
    const router = props(STREAM_ROUTER_FUNCTION).Timeout as number;
    expect(router).toBe(routerTimeoutSeconds(slowest));
    expect(router).toBeGreaterThanOrEqual(
      ROUTE_ATTEMPTS * slowest + ((ROUTE_ATTEMPTS - 1) * ROUTE_RETRY_MS) / 1000,
    );
    // Lambda's longest timeout (Lambda quotas: "Function timeout", 900 seconds).
    expect(router).toBeLessThanOrEqual(900);
    expect(props('stream-flux-status')).toMatchObject({ MemorySize: 1024, Timeout: 60 });
  });
});

/** A JSON map of route → reference the router's environment holds, each reference as its logical id. */
function routerMap(variable: string): Record<string, string> {
  const router = configured.json.Resources[configured.fnId(STREAM_ROUTER_FUNCTION)].Properties;
  return JSON.parse(
    (router.Environment.Variables[variable]['Fn::Join'][1] as unknown[])
      .map((p) => (typeof p === 'string' ? p : `"${(p as any).Ref}"`))
      .join('')
      .replace(/""/g, '"'),
  );
}

/** The logical id of a function's role. */
function roleOf(t: Synth, name: string): string {
  return t.json.Resources[t.fnId(name)].Properties.Role['Fn::GetAtt'][0];
}

/** Every action a function's role may take, as its policies list them. */
function actionsOf(t: Synth, name: string): string[] {
  const role = roleOf(t, name);
  return statements(t)
    .filter(({ from }) => t.json.Resources[from].Properties.Roles?.[0]?.Ref === role)
    .flatMap(({ statement }) => list(statement.Action));
}

/** The roles whose policies let them invoke a function. */
function invokersOf(t: Synth, name: string): string[] {
  return statements(t)
    .filter(
      ({ statement }) =>
        list(statement.Action).includes('lambda:InvokeFunction') &&
        list(statement.Resource).some((r: any) => r['Fn::GetAtt']?.[0] === t.fnId(name)),
    )
    .map(({ from }) => t.json.Resources[from].Properties.Roles[0].Ref);
}

describe('least privilege', () => {
  it('no statement grants a wildcard action', () => {
    const wildcards = statements(configured).filter(({ statement }) =>
      list(statement.Action ?? statement.NotAction).some((a: string) => a.includes('*')),
    );
    expect(wildcards).toEqual([]);
    for (const [, { Properties: p }] of configured.of('AWS::Lambda::Permission'))
      expect(p.Action).not.toContain('*');
  });

  it('a "*" resource appears only for actions on the allow-list', () => {
    const wildcard = statements(configured).filter(({ statement }) => list(statement.Resource).includes('*'));
    expect(wildcard.length).toBeGreaterThan(0);
    for (const { from, statement } of wildcard) {
      for (const action of list(statement.Action)) {
        expect(WILDCARD_RESOURCE_ALLOWED[action], `${from}: ${action} on "*"`).toBeDefined();
      }
    }
  });

  it('each secret is readable only by the functions that use it', () => {
    const { id, stack } = configured;
    const s = stack.state.secrets;
    const api = API_FUNCTIONS.filter((fn) => fn !== HEALTH_FUNCTION);
    expect(secretReaders(configured, id(s.adminToken))).toEqual([...api, FLUX_EVENTS_FUNCTION].sort());
    expect(secretReaders(configured, id(s.gitToken))).toEqual([WRITER_FUNCTION, 'stream-flux-status'].sort());
    expect(secretReaders(configured, id(s.slackToken))).toEqual(['stream-notify']);
    expect(secretReaders(configured, id(s.githubToken))).toEqual(['stream-notify']);
    expect(secretReaders(configured, id(s.fluxHmacKey))).toEqual([FLUX_EVENTS_FUNCTION]);
    expect(secretReaders(configured, id(s.githubWebhookSecret))).toEqual(
      api.filter((fn) => fn === 'http-github-webhook'),
    );
  });

  it('roles carry no managed policy and write only their function’s own log group', () => {
    const { of, json } = configured;
    for (const [roleId, role] of of('AWS::IAM::Role'))
      expect(role.Properties.ManagedPolicyArns, roleId).toBeUndefined();
    for (const [fnId, fn] of of('AWS::Lambda::Function')) {
      const role = fn.Properties.Role['Fn::GetAtt'][0];
      const logGroup = fn.Properties.LoggingConfig.LogGroup.Ref;
      const logs = statements(configured).filter(
        ({ from, statement }) =>
          json.Resources[from].Properties.Roles?.[0]?.Ref === role &&
          list(statement.Action).includes('logs:PutLogEvents'),
      );
      expect(
        logs.map(({ statement }) => statement.Resource),
        fnId,
      ).toEqual([{ 'Fn::GetAtt': [logGroup, 'Arn'] }]);
    }
  });

  it('gives each function exactly the variables its handler reads', () => {
    const { of, nameOf } = configured;
    const api = [
      ENV_TABLE_NAME,
      ENV_ADMIN_SECRET_ID,
      ENV_GITOPS_REPO_URL,
      ENV_GITOPS_BRANCH,
      ENV_FLUX_EVENTS_URL,
      ENV_BRANCH_RESTRICTIONS,
      ENV_PROMOTION_CHAIN,
    ];
    const expected: Record<string, string[]> = {
      ...Object.fromEntries(API_FUNCTIONS.map((fn) => [fn, api])),
      [HEALTH_FUNCTION]: [],
      [FLUX_EVENTS_FUNCTION]: [ENV_TABLE_NAME, ENV_ADMIN_SECRET_ID, ENV_FLUX_HMAC_SECRET_ID],
      // Static files only: no table, no secret, no setting.
      [UI_FUNCTION]: [],
      // Which function runs each consumer, and where each parks its failures: no table, no secret.
      [STREAM_ROUTER_FUNCTION]: [ENV_STREAM_FAILURE_QUEUES, ENV_STREAM_CONSUMER_FUNCTIONS],
      'stream-dispatch': [ENV_TABLE_NAME, ENV_WRITE_QUEUE_URL, ENV_GITOPS_REPO_URL, ENV_GITOPS_BRANCH],
      'stream-flux-status': [ENV_TABLE_NAME, ENV_GIT_TOKEN_SECRET_ID, ENV_GITOPS_REPO_URL, ENV_GITOPS_BRANCH],
      'stream-policy': [ENV_TABLE_NAME, ENV_BRANCH_RESTRICTIONS],
      'stream-notify': [
        ENV_TABLE_NAME,
        ENV_SLACK_TOKEN_SECRET_ID,
        ENV_GITHUB_TOKEN_SECRET_ID,
        ENV_SLACK_CHANNELS,
        ENV_SLACK_TEMPLATES,
        ENV_GITOPS_REPO_URL,
        ENV_GITOPS_BRANCH,
      ],
      [WRITER_FUNCTION]: [ENV_TABLE_NAME, ENV_GIT_TOKEN_SECRET_ID, ENV_GITOPS_REPO_URL, ENV_GITOPS_BRANCH],
      [DEAD_LETTERS_FUNCTION]: [ENV_TABLE_NAME],
      // The release gate's scheduled sweep: the table only.
      [GATE_SWEEP_FUNCTION]: [ENV_TABLE_NAME],
    };
    // Templates are rendered in invoke-render, which reads nothing; the two API functions that render name it.
    expected[RENDER_FUNCTION] = [];
    expected['http-artifacts'] = [...api, ENV_RENDER_FUNCTION];
    // Slack's interactive buttons reach http-releases, which verifies their signature.
    expected['http-releases'] = [...api, ENV_SLACK_SIGNING_SECRET_ID, ENV_RENDER_FUNCTION];
    // Only the exchange reads the OIDC rules and audience (no issuer configured: GitHub's).
    expected['http-users'] = [...api, ENV_OIDC_RULES, ENV_OIDC_AUDIENCE];
    if ((API_FUNCTIONS as readonly string[]).includes('http-github-webhook')) {
      expected['http-github-webhook'] = [...api, ENV_GITHUB_WEBHOOK_SECRET_ID];
    }
    const actual = Object.fromEntries(
      of('AWS::Lambda::Function').map(([fid, fn]) => [
        nameOf.get(fid),
        Object.keys(fn.Properties.Environment.Variables)
          .filter((name) => name.startsWith('FERRY_'))
          .sort(),
      ]),
    );
    expect(actual).toEqual(
      Object.fromEntries(Object.entries(expected).map(([fn, vars]) => [fn, [...vars].sort()])),
    );
  });
});

describe('guards', () => {
  const nodeMajor = (runtime: Runtime) => Number(/^nodejs(\d+)\.x$/.exec(runtime.name)?.[1] ?? Number.NaN);

  it('runs every function on the newest Node.js runtime aws-cdk-lib offers, bundled for it', () => {
    const offered = Object.values(Runtime).filter(
      (r): r is Runtime => r instanceof Runtime && Number.isFinite(nodeMajor(r)) && !r.isVariable,
    );
    const newest = Math.max(...offered.map(nodeMajor));
    expect(nodeMajor(RUNTIME)).toBe(newest);
    expect(BUNDLE_TARGET).toBe(`node${newest}`);
    const runtimes = configured.of('AWS::Lambda::Function').map(([, fn]) => fn.Properties.Runtime);
    expect(new Set(runtimes)).toEqual(new Set([RUNTIME.name]));
  });

  it('caps the public flux-events Function URL with reserved concurrency (fluxEventsConcurrency, default 10)', () => {
    const reserved = (t: Synth) =>
      t.json.Resources[t.fnId(FLUX_EVENTS_FUNCTION)].Properties.ReservedConcurrentExecutions;
    expect(reserved(configured)).toBe(25);
    expect(reserved(plain)).toBe(DEFAULT_CONFIG.concurrency.fluxEvents);
    expect(DEFAULT_CONFIG.concurrency.fluxEvents).toBe(10);
  });

  it('renders in invoke-render: only its logs, no setting, invoked by http-artifacts and http-releases alone', () => {
    const { json, fnId } = configured;
    const render = json.Resources[fnId(RENDER_FUNCTION)].Properties;
    expect(actionsOf(configured, RENDER_FUNCTION).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    // Under the callers' own 10 s, so a runaway template times out here, not in the API function.
    expect(render.Timeout).toBeLessThan(json.Resources[fnId('http-releases')].Properties.Timeout);
    expect(invokersOf(configured, RENDER_FUNCTION).sort()).toEqual(
      RENDERING_FUNCTIONS.map((name) => roleOf(configured, name)).sort(),
    );
    for (const name of RENDERING_FUNCTIONS) {
      expect(json.Resources[fnId(name)].Properties.Environment.Variables[ENV_RENDER_FUNCTION], name).toEqual({
        Ref: fnId(RENDER_FUNCTION),
      });
    }
    expect(
      configured
        .of('AWS::Lambda::EventSourceMapping')
        .filter(([, m]) => m.Properties.FunctionName.Ref === fnId(RENDER_FUNCTION)),
    ).toEqual([]);
  });

  it('gives http-health a role that may only write its own logs: no table, no secret, no setting', () => {
    const { json, fnId } = configured;
    const health = json.Resources[fnId(HEALTH_FUNCTION)].Properties;
    expect(actionsOf(configured, HEALTH_FUNCTION).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(Object.keys(health.Environment?.Variables ?? {}).filter((v) => v.startsWith('FERRY_'))).toEqual(
      [],
    );
  });

  it('says at synth what the reservations need of the account quota, naming the way out', () => {
    const total = 1 + (CONFIGURED.concurrency?.fluxEvents ?? 0);
    expect(configured.stack.reservedConcurrency).toEqual({
      [FLUX_EVENTS_FUNCTION]: total - 1,
      [WRITER_FUNCTION]: 1,
    });
    const warning = Annotations.fromStack(configured.stack).findWarning('*', Match.anyValue());
    const text = warning.map((w) => JSON.stringify(w.entry.data)).join('\n');
    expect(text).toContain(`reserves ${total} concurrent Lambda executions`);
    expect(text).toContain(`at least ${UNRESERVED_MINIMUM + total}`);
    expect(text).toContain('-c reservedConcurrency=false');
  });

  it('with reservedConcurrency=false reserves nothing, caps the writer’s queue at 2 instead, and warns', () => {
    const { of, fnId, json, stack } = unreserved;
    for (const [fid, fn] of of('AWS::Lambda::Function'))
      expect(fn.Properties.ReservedConcurrentExecutions, fid).toBeUndefined();
    const [, mapping] =
      of('AWS::Lambda::EventSourceMapping').find(
        ([, m]) => m.Properties.FunctionName.Ref === fnId(WRITER_FUNCTION),
      ) ?? [];
    expect(mapping?.Properties.ScalingConfig).toEqual({
      MaximumConcurrency: UNRESERVED_WRITER_MAX_CONCURRENCY,
    });
    expect(json.Resources[fnId(WRITER_FUNCTION)].Properties.ReservedConcurrentExecutions).toBeUndefined();
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
    const text = warnings.map((w) => JSON.stringify(w.entry.data)).join('\n');
    expect(text).toContain('no concurrency cap');
    expect(text).not.toContain('reserves');
    // With reservations the writer's queue is not capped: reserved concurrency 1 already is.
    const reservedMapping = configured
      .of('AWS::Lambda::EventSourceMapping')
      .find(([, m]) => m.Properties.FunctionName.Ref === configured.fnId(WRITER_FUNCTION));
    expect(reservedMapping?.[1].Properties.ScalingConfig).toBeUndefined();
  });
});

describe('the stateful part', () => {
  it('retains the table, every queue and every secret; the table streams both images and keeps PITR', () => {
    const { of, template } = configured;
    for (const type of ['AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::SecretsManager::Secret']) {
      const found = of(type);
      expect(found.length, type).toBeGreaterThan(0);
      for (const [logicalId, r] of found) {
        expect([r.DeletionPolicy, r.UpdateReplacePolicy], logicalId).toEqual(['Retain', 'Retain']);
      }
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('generates the admin token; the secrets to fill in start blank, which the functions read as unset', () => {
    const { json, id, stack } = configured;
    const { adminToken, ...toFill } = stack.state.secrets;
    expect(json.Resources[id(adminToken)].Properties.GenerateSecretString).toBeDefined();
    for (const [name, secret] of Object.entries(toFill)) {
      expect(json.Resources[id(secret)].Properties, name).toEqual(
        expect.objectContaining({ SecretString: UNSET_SECRET }),
      );
    }
    expect(UNSET_SECRET.trim()).toBe('');
  });
});

describe('alarms', () => {
  const alarmsOf = (t: Synth) =>
    new Map(t.of('AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName as string, a.Properties]));

  it('creates every alarm in ALARMS, named after the stack and described', () => {
    const alarms = alarmsOf(configured);
    expect([...alarms.keys()].sort()).toEqual(
      Object.keys(ALARMS)
        .map((name) => `Ferry-${name}`)
        .sort(),
    );
    for (const [name, meaning] of Object.entries(ALARMS)) {
      expect(alarms.get(`Ferry-${name}`)?.AlarmDescription).toBe(meaning);
    }
  });

  it('watches each dead-letter queue, the write queue’s oldest message, the writer, the API and each consumer', () => {
    const { id, fnId, stack } = configured;
    const alarms = alarmsOf(configured);
    const metric = (name: string) => {
      const a = alarms.get(`Ferry-${name}`);
      return { metric: a?.MetricName, dimension: a?.Dimensions?.[0]?.Value };
    };
    const queueName = (q: IConstruct) => ({ 'Fn::GetAtt': [id(q), 'QueueName'] });
    // sqs-dead-letters drains the queue at once, so the alarm counts receives, not the depth.
    expect(metric('write-dead-letters')).toEqual({
      metric: 'NumberOfMessagesReceived',
      dimension: queueName(stack.state.writeDeadLetters),
    });
    const parked = alarms.get('Ferry-write-dead-letters');
    expect(parked).toMatchObject({
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(metric('write-queue-age')).toEqual({
      metric: 'ApproximateAgeOfOldestMessage',
      dimension: queueName(stack.state.writes),
    });
    expect(metric('writer-errors')).toEqual({ metric: 'Errors', dimension: { Ref: fnId(WRITER_FUNCTION) } });
    expect(metric('api-5xx')).toEqual({ metric: '5xx', dimension: { Ref: id(stack.services.api) } });
    expect(metric('flux-events-5xx')).toEqual({
      metric: 'Url5xxCount',
      dimension: { Ref: fnId(FLUX_EVENTS_FUNCTION) },
    });
    for (const { spec, failures } of stack.services.streamConsumers) {
      expect(metric(`${spec.name}-failures`)).toEqual({
        metric: 'ApproximateNumberOfMessagesVisible',
        dimension: queueName(failures),
      });
    }
    expect(metric('stream-router-iterator-age')).toEqual({
      metric: 'IteratorAge',
      dimension: { Ref: fnId(STREAM_ROUTER_FUNCTION) },
    });
    expect(metric('stream-router-failures')).toEqual({
      metric: 'ApproximateNumberOfMessagesVisible',
      dimension: queueName(stack.services.streamRouterFailures),
    });
  });

  it('sends every alarm and its recovery to the topic alarmEmail subscribes to', () => {
    const topic = configured.id(configured.stack.alarms.topic as IConstruct);
    configured.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: ALARM_EMAIL,
      TopicArn: { Ref: topic },
    });
    for (const [name, alarm] of alarmsOf(configured)) {
      expect(alarm.AlarmActions, name).toEqual([{ Ref: topic }]);
      expect(alarm.OKActions, name).toEqual([{ Ref: topic }]);
    }
  });

  it('uses an existing topic from alarmTopicArn, and no topic at all without either setting', () => {
    expect(imported.of('AWS::SNS::Topic')).toEqual([]);
    for (const [name, alarm] of alarmsOf(imported)) expect(alarm.AlarmActions, name).toEqual([ALARM_TOPIC]);
    expect(plain.of('AWS::SNS::Topic')).toEqual([]);
    for (const [name, alarm] of alarmsOf(plain)) expect(alarm.AlarmActions, name).toBeUndefined();
    expect(alarmsOf(plain).size).toBe(Object.keys(ALARMS).length);
  });
});

describe('install settings', () => {
  const variables = (t: Synth, name: string) =>
    t.json.Resources[t.fnId(name)].Properties.Environment.Variables as Record<string, unknown>;

  it('reach the functions that read them, as the handlers parse them', () => {
    expect(variables(configured, 'stream-notify')).toMatchObject({
      [ENV_SLACK_CHANNELS]: JSON.stringify(CONFIGURED.slackChannels),
      [ENV_SLACK_TEMPLATES]: JSON.stringify(CONFIGURED.slackTemplates),
    });
    for (const fn of API_FUNCTIONS.filter((name) => name !== HEALTH_FUNCTION)) {
      expect(variables(configured, fn), fn).toMatchObject({
        [ENV_BRANCH_RESTRICTIONS]: '[{"env":"production","branch":"^main$"}]',
        [ENV_PROMOTION_CHAIN]: 'staging,production',
        [ENV_GITOPS_REPO_URL]: GITOPS.repoUrl,
        [ENV_GITOPS_BRANCH]: GITOPS.branch,
      });
    }
  });

  it('stay unset when the install has none', () => {
    const unset = [ENV_SLACK_CHANNELS, ENV_SLACK_TEMPLATES, ENV_BRANCH_RESTRICTIONS, ENV_PROMOTION_CHAIN];
    for (const name of plain.stack.services.functions.keys()) {
      for (const variable of unset) expect(variables(plain, name), name).not.toHaveProperty(variable);
    }
  });
});

describe('several gitops repositories (context gitopsRepos)', () => {
  const repos = [
    {
      envs: ['production'],
      url: 'https://git.example.com/acme/prod-gitops.git',
      tokenSecretId: 'ferry/prod-git',
    },
    { envs: ['eu'], url: 'https://git.example.com/acme/eu-gitops.git', branch: 'live' },
    // A folder of the default repository: its clone, its writer.
    { envs: ['canary'], url: GITOPS.repoUrl, branch: GITOPS.branch, path: 'clusters/canary' },
  ];
  let multi: Synth;
  beforeAll(() => {
    const gitops = { ...GITOPS, repos: JSON.stringify(repos) };
    multi = synth({ gitops });
  }, 120_000);

  it('gives the writer one reserved instance per repository (not per folder) and tells every reader the mapping', () => {
    const { json, fnId } = multi;
    expect(json.Resources[fnId(WRITER_FUNCTION)].Properties.ReservedConcurrentExecutions).toBe(3);
    for (const name of [WRITER_FUNCTION, 'stream-dispatch', 'stream-flux-status', 'stream-notify']) {
      const vars = json.Resources[fnId(name)].Properties.Environment.Variables;
      expect(JSON.parse(vars[ENV_GITOPS_REPOS])).toEqual(repos);
    }
  });

  it('lets only the writer and flux-status read the extra repository’s token, by name', () => {
    // One grant each: a statement on the secret's name (any suffix) in the writer's and flux-status's policy.
    const readers = statements(multi).filter(({ statement }) =>
      JSON.stringify(statement.Resource ?? '').includes('secret:ferry/prod-git-??????'),
    );
    const owners = readers.map(({ from }) => JSON.stringify(multi.json.Resources[from].Properties.Roles));
    for (const name of [WRITER_FUNCTION, 'stream-flux-status']) {
      const role = multi.json.Resources[multi.fnId(name)].Properties.Role['Fn::GetAtt'][0];
      expect(owners.some((o) => o.includes(role))).toBe(true);
    }
    expect(readers.length).toBe(2);
  });

  it('accepts an environment in a folder of a repository, and counts one writer per repository', () => {
    // Prepare: production in a folder of the default repository, preview in a folder of another one.
    const withFolders = [
      { envs: ['production'], url: 'https://github.com/acme/gitops.git', path: 'clusters/prod' },
      { envs: ['preview'], url: 'https://x.example/g.git', path: 'clusters/preview' },
    ];
    const read = (context: Record<string, unknown>) => readInstallConfig((key) => context[key]);
    // Act
    const config = read({ gitopsRepoUrl: 'https://github.com/acme/gitops.git', gitopsRepos: withFolders });
    // Assess
    expect(JSON.parse(config.gitops.repos ?? '')).toEqual(withFolders);
    expect(repositoryCount(config.gitops)).toBe(2);
  });

  it('refuses a mapping the functions would refuse, at synth, naming the key', () => {
    const read = (context: Record<string, unknown>) => readInstallConfig((key) => context[key]);
    expect(() => read({ gitopsRepos: '[{"envs":["prod"]}]' })).toThrow(
      /^context gitopsRepos: .*url is required/,
    );
    expect(() =>
      read({ gitopsRepos: [{ envs: ['prod'], url: 'https://x.example/g.git', path: '../prod' }] }),
    ).toThrow(/^context gitopsRepos: .*path "\.\.\/prod" must be a relative folder/);
    expect(read({ gitopsRepos: repos }).gitops.repos).toBe(JSON.stringify(repos));
  });
});

describe('CDK context', () => {
  const read = (context: Record<string, unknown>) => readInstallConfig((key) => context[key]);

  it('cdk.json’s defaults are DEFAULT_CONFIG, and name only known keys', () => {
    const { context } = JSON.parse(readFileSync(`${ROOT}cdk.json`, 'utf8'));
    expect(read(context)).toEqual(DEFAULT_CONFIG);
    const ours = Object.keys(context).filter((key) => !key.startsWith('@aws-cdk/'));
    expect(CONTEXT_KEYS).toEqual(expect.arrayContaining(ours));
  });

  it('parses -c strings: JSON objects and arrays, comma lists, numbers', () => {
    expect(
      read({
        gitopsRepoUrl: 'https://github.com/acme/gitops.git',
        gitopsBranch: 'release/v2',
        slackChannels: '{"*":"#deploys","production":"C0123ABC"}',
        slackTemplates: '{"failed":"{{app}} failed"}',
        branchRestrictions: '[{"env":"production","app":"web","branch":"^main$"}]',
        promotionChain: 'dev, staging,production',
        alarmTopicArn: ALARM_TOPIC,
        apiThrottleRate: '12.5',
        apiThrottleBurst: '30',
        reservedConcurrency: 'false',
        fluxEventsConcurrency: '5',
      }),
    ).toEqual({
      gitops: { repoUrl: 'https://github.com/acme/gitops.git', branch: 'release/v2' },
      slackChannels: { '*': '#deploys', production: 'C0123ABC' },
      slackTemplates: { failed: '{{app}} failed' },
      branchRestrictions: [{ env: 'production', app: 'web', branch: '^main$' }],
      promotionChain: ['dev', 'staging', 'production'],
      alarms: { topicArn: ALARM_TOPIC },
      throttle: { rateLimit: 12.5, burstLimit: 30 },
      concurrency: { reserve: false, fluxEvents: 5 },
      tracing: false,
    });
    expect(read({ reservedConcurrency: false }).concurrency.reserve).toBe(false);
    expect(read({ reservedConcurrency: 'TRUE' }).concurrency.reserve).toBe(true);
    expect(read({ promotionChain: '["dev","production"]' }).promotionChain).toEqual(['dev', 'production']);
    expect(
      read({
        oidcRules: '[{"repository":"acme/web","ref":"refs/heads/main","role":"deployer","envs":["staging"]}]',
        oidcAudience: 'https://ferry.example.com',
      }).oidc,
    ).toEqual({
      rules: [{ repository: 'acme/web', ref: 'refs/heads/main', role: 'deployer', envs: ['staging'] }],
      audience: 'https://ferry.example.com',
    });
    expect(read({ oidcRules: [] }).oidc).toBeUndefined();
  });

  it.each([
    ['slackChannels', '{"*": "#deploys"', /^context slackChannels: is not valid JSON/],
    ['slackChannels', '{"production": 5}', /^context slackChannels: "production" must be a string/],
    ['slackChannels', '{"Prod": "#x"}', /^context slackChannels: "Prod" is not an environment name/],
    ['slackTemplates', '{"shipped": "{{app}}"}', /^context slackTemplates: template key "shipped"/],
    ['branchRestrictions', '{"env":"production"}', /^context branchRestrictions: .*must be a JSON array/],
    ['branchRestrictions', '[{"env":"production","branch":"main"}]', /^context branchRestrictions: .*\^/],
    ['promotionChain', 'dev,Staging', /^context promotionChain: .*"Staging"/],
    ['oidcRules', '[{"repository":"acme/web","role":"admin","envs":["x"]}]', /^context oidcRules: .*role/],
    ['oidcRules', '{"repository":"acme/web"}', /^context oidcRules: .*JSON array/],
    ['oidcIssuer', 'http://issuer.example.com', /^context oidcIssuer: must be an https URL/],
    ['gitopsRepoUrl', 'http://git.example.com/gitops.git', /^context gitopsRepoUrl: must be an https/],
    [
      'gitopsRepoUrl',
      'https://bot:t0k3n@github.com/acme/gitops.git',
      /^context gitopsRepoUrl: .*credentials/,
    ],
    ['gitopsBranch', 'main..next', /^context gitopsBranch: "main..next" is not a valid branch name/],
    ['alarmEmail', 'platform-team', /^context alarmEmail: "platform-team" is not an e-mail address/],
    ['alarmTopicArn', 'platform-alarms', /^context alarmTopicArn: .*not an SNS topic ARN/],
    ['apiThrottleBurst', '1.5', /^context apiThrottleBurst: .*whole number/],
    ['apiThrottleRate', '-1', /^context apiThrottleRate: .*above 0/],
    ['reservedConcurrency', 'no', /^context reservedConcurrency: "no" must be true or false/],
    ['fluxEventsConcurrency', '0', /^context fluxEventsConcurrency: .*whole number above 0/],
    ['fluxEventsConcurrency', '2.5', /^context fluxEventsConcurrency: .*whole number/],
  ])('refuses a bad %s (%s), naming the key', (key, value, message) => {
    expect(() => read({ [key]: value })).toThrow(message);
  });

  it('refuses alarmEmail and alarmTopicArn together, and settings that would overflow 4 KB of environment', () => {
    expect(() => read({ alarmEmail: ALARM_EMAIL, alarmTopicArn: ALARM_TOPIC })).toThrow(
      /^context alarmTopicArn: set alarmEmail or alarmTopicArn, not both/,
    );
    const long = { failed: `{{app}} ${'x'.repeat(SETTINGS_BUDGET_BYTES)}` };
    expect(() => read({ slackTemplates: long })).toThrow(/^context slackTemplates: .*Lambda allows 4 KB/);
  });

  it('stops `cdk synth` with one line naming the key, before anything is built', () => {
    let stderr = '';
    try {
      execFileSync('npx', ['cdk', 'synth', '--no-notices', '-q', '-c', 'slackChannels={"*":'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        stdio: 'pipe',
      });
    } catch (error) {
      stderr = String((error as { stderr?: Buffer }).stderr);
    }
    expect(stderr).toContain('ferry: context slackChannels: is not valid JSON');
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 120_000);
});
