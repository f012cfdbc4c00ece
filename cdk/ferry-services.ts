import { Duration, Stack } from 'aws-cdk-lib';
import { HttpApi, type HttpMethod, type HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaFunctionTarget } from 'aws-cdk-lib/aws-events-targets';
import {
  FilterCriteria,
  type FunctionUrl,
  FunctionUrlAuthType,
  type Function as LambdaFunction,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV_RENDER_FUNCTION } from '../lib/config/env.ts';
import {
  ENV_STREAM_CONSUMER_FUNCTIONS,
  ENV_STREAM_FAILURE_QUEUES,
  ROUTE_ATTEMPTS,
  ROUTE_RETRY_MS,
  STREAM_ROUTER_FUNCTION,
  STREAM_ROUTES,
} from '../lib/config/stream-routes.ts';
import {
  API_FUNCTIONS,
  type ApiFunction,
  FLUX_EVENTS_FUNCTION,
  ROUTES,
  type RouteFunction,
  splitRouteKey,
  UI_FUNCTION,
} from '../lib/http/routes.ts';
import { type InstallConfig, repositoryCount } from './config.ts';
import { FerryFunction, type FerryFunctionProps } from './ferry-function.ts';
import type { FerrySecrets, FerryState } from './ferry-state.ts';
import {
  grantAdminSecret,
  grantFluxHmacKey,
  grantGithubWebhookSecret,
  grantGitToken,
  grantRepositoryTokens,
  grantSlackSigningSecret,
  grantTable,
  useFluxEventsUrl,
  useGitops,
  useOidcSettings,
  useReleaseRules,
  writeOwnLogsOnly,
} from './grants.ts';
import { STREAM_CONSUMERS, type StreamConsumerSpec } from './stream-consumers.ts';

export const WRITER_FUNCTION = 'sqs-write';

/**
 * The stream router's timeout for consumers that may take `slowest` seconds each: ROUTE_ATTEMPTS tries of
 * one, the pauses between them, and a minute to spare. Over it Lambda stops the router, and the event
 * source delivers the batch again (every consumer is idempotent).
 */
export function routerTimeoutSeconds(slowest: number): number {
  return ROUTE_ATTEMPTS * slowest + Math.ceil(((ROUTE_ATTEMPTS - 1) * ROUTE_RETRY_MS) / 1000) + 60;
}

/** Drains the write dead-letter queue: each parked request reads `failed`, so `ferry requeue` takes it. */
export const DEAD_LETTERS_FUNCTION = 'sqs-dead-letters';

/** Answers `GET /` from code alone: no table, no secret, no setting (its handler builds no store). */
export const HEALTH_FUNCTION: ApiFunction = 'http-health';

/**
 * Without reserved concurrency (`-c reservedConcurrency=false`) the writer's SQS event source is capped
 * instead. 2 is the lowest maximum concurrency Lambda accepts for an SQS event source; the second writer's
 * push can lose a race, which the writer resolves by fetching and re-applying (README, "Races").
 */
export const UNRESERVED_WRITER_MAX_CONCURRENCY = 2;

/**
 * Grants an API function needs beyond those every API function gets, by function name, so each secret is
 * readable only by the function that uses it. A function added to API_FUNCTIONS later picks its entry up.
 */
export const API_FUNCTION_GRANTS: Readonly<
  Record<string, (fn: LambdaFunction, secrets: FerrySecrets) => void>
> = {
  'http-github-webhook': (fn, secrets) => grantGithubWebhookSecret(fn, secrets.githubWebhookSecret),
  'http-releases': (fn, secrets) => grantSlackSigningSecret(fn, secrets.slackSigningSecret),
};

/**
 * Checks and renders artifacts for the API (lib/app/ports.ts Manifests): templates are the artifact
 * author's code, so they run in a function that may touch nothing, invoked only by RENDERING_FUNCTIONS.
 */
export const RENDER_FUNCTION = 'invoke-render';

/** The API functions that check (ship) or render (deploy, promote, dry run, policy evaluation) manifests. */
export const RENDERING_FUNCTIONS: readonly ApiFunction[] = ['http-artifacts', 'http-releases'];

/** Releases waiting for a freeze window to end go on when this finds it ended (every minute). */
export const GATE_SWEEP_FUNCTION = 'schedule-gate-sweep';

export interface StreamConsumer {
  spec: StreamConsumerSpec;
  /** The function that runs it, which the stream router invokes. */
  fn: FerryFunction;
  /** Where the router parks a record this consumer gave up on. */
  failures: Queue;
}

/**
 * Everything stateless: the functions, the HTTP API with exactly the routes of ROUTES, the flux-events
 * Function URL, and the event sources. It can be replaced freely; the data lives in FerryState.
 */
export class FerryServices extends Construct {
  /** Every function by its entry name (`http-artifacts`, `sqs-write`, …). */
  readonly functions = new Map<string, FerryFunction>();
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly fluxEvents: FerryFunction;
  readonly fluxEventsUrl: FunctionUrl;
  readonly writer: FerryFunction;
  readonly deadLetters: FerryFunction;
  readonly gateSweep: FerryFunction;
  readonly render: FerryFunction;
  readonly streamConsumers: StreamConsumer[] = [];
  /** The table stream's one reader, which invokes every consumer (lib/config/stream-routes.ts). */
  readonly streamRouter: FerryFunction;
  /** The router's own on-failure destination: a batch it could not even park, after the retries. */
  readonly streamRouterFailures: Queue;

  constructor(scope: Construct, id: string, props: { state: FerryState; config: InstallConfig }) {
    super(scope, id);
    const { state, config } = props;
    this.tracing = config.tracing;
    const { secrets } = state;

    // Flux's notification-controller cannot present an AWS signature, so its address is public; the
    // handler accepts only an HMAC-signed body or a flux-role token, and stores nothing else.
    // Its reserved concurrency caps what an anonymous caller can make it run (and bill) at once; over the
    // cap Lambda answers 429, which notification-controller retries (2 s, 4 s, 8 s, 16 s).
    const { concurrency } = config;
    this.fluxEvents = this.ferryFunction({
      name: FLUX_EVENTS_FUNCTION,
      ...(concurrency.reserve ? { reservedConcurrency: concurrency.fluxEvents } : {}),
    });
    grantTable(this.fluxEvents, state.table);
    grantAdminSecret(this.fluxEvents, secrets.adminToken);
    grantFluxHmacKey(this.fluxEvents, secrets.fluxHmacKey);
    this.fluxEventsUrl = this.fluxEvents.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });

    // The dashboard's files: built by esbuild into `ui/` beside the function's bundle (lib/ui/build.ts).
    // It serves static files only, so it gets no table, secret or setting.
    const ui = this.ferryFunction({
      name: UI_FUNCTION,
      memorySize: 256,
      afterBundling: (root, out) => [
        `cd "${root}" && node node_modules/tsx/dist/cli.mjs lib/ui/build.ts "${out}/ui"`,
      ],
    });
    // Under the API functions' own 10 s, so one render that runs long ends as this function's timeout (a
    // 503 to the caller, the function's name in its log) rather than the caller's. A policy evaluation
    // renders its matching manifests one after another; each is bounded by the render step limits.
    this.render = this.ferryFunction({ name: RENDER_FUNCTION, timeout: Duration.seconds(8) });
    for (const name of API_FUNCTIONS) {
      const fn = this.ferryFunction({ name });
      if (RENDERING_FUNCTIONS.includes(name)) {
        this.render.grantInvoke(fn);
        fn.addEnvironment(ENV_RENDER_FUNCTION, this.render.functionName);
      }
      if (name === HEALTH_FUNCTION) continue;
      grantTable(fn, state.table);
      grantAdminSecret(fn, secrets.adminToken);
      useGitops(fn, config.gitops);
      useFluxEventsUrl(fn, this.fluxEventsUrl.url);
      useReleaseRules(fn, config);
      if (name === 'http-users') useOidcSettings(fn, config);
      API_FUNCTION_GRANTS[name]?.(fn, secrets);
    }

    // API Gateway authenticates nobody: each route's function checks the bearer token (or a signature).
    this.api = new HttpApi(this, 'Api', { description: 'Ferry API', createDefaultStage: false });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: config.throttle,
    });
    const integrations = {
      ...Object.fromEntries(
        API_FUNCTIONS.map((name) => [name, new HttpLambdaIntegration(`Int-${name}`, this.apiFunction(name))]),
      ),
      [UI_FUNCTION]: new HttpLambdaIntegration(`Int-${UI_FUNCTION}`, ui),
    } as Record<RouteFunction, HttpLambdaIntegration>;
    for (const route of ROUTES) {
      const { method, path } = splitRouteKey(route.routeKey);
      this.api.addRoutes({ path, methods: [method as HttpMethod], integration: integrations[route.fn] });
    }

    [this.streamRouter, this.streamRouterFailures] = this.streamRouterFunction(props);

    // The writer: the queue's FIFO groups are the repositories, so SQS hands each repository's batches to
    // one invocation at a time; one reserved instance per repository lets different ones write in parallel.
    this.writer = this.ferryFunction({
      name: WRITER_FUNCTION,
      timeout: Duration.minutes(1),
      memorySize: 1024,
      ...(concurrency.reserve ? { reservedConcurrency: repositoryCount(config.gitops) } : {}),
    });
    grantTable(this.writer, state.table);
    grantGitToken(this.writer, secrets.gitToken);
    grantRepositoryTokens(this.writer, config.gitops);
    useGitops(this.writer, config.gitops);
    this.writer.addEventSource(
      new SqsEventSource(state.writes, {
        batchSize: 10,
        reportBatchItemFailures: true,
        ...(concurrency.reserve ? {} : { maxConcurrency: UNRESERVED_WRITER_MAX_CONCURRENCY }),
      }),
    );

    // Only the table: it marks parked requests failed and touches neither the repository nor a secret.
    this.deadLetters = this.ferryFunction({ name: DEAD_LETTERS_FUNCTION });
    grantTable(this.deadLetters, state.table);
    this.deadLetters.addEventSource(
      new SqsEventSource(state.writeDeadLetters, { batchSize: 10, reportBatchItemFailures: true }),
    );

    // The release gate's clock: only the table; it re-queues through the outbox like every other request.
    this.gateSweep = this.ferryFunction({ name: GATE_SWEEP_FUNCTION });
    grantTable(this.gateSweep, state.table);
    new Rule(this, 'GateSweepSchedule', {
      description: 'Release waiting releases whose freeze window ended',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunctionTarget(this.gateSweep, { retryAttempts: 0 })],
    });
  }

  apiFunction(name: ApiFunction): FerryFunction {
    return this.functionNamed(name);
  }

  /** A function by its entry name, or a synth error naming it. */
  functionNamed(name: string): FerryFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`no function ${name}`);
    return fn;
  }

  private readonly tracing: boolean;

  private ferryFunction(props: FerryFunctionProps): FerryFunction {
    const fn = new FerryFunction(this, `Fn-${props.name}`, { ...props, tracing: this.tracing });
    writeOwnLogsOnly(fn);
    this.functions.set(props.name, fn);
    return fn;
  }

  /**
   * The table stream's one reader, from the oldest record kept, and one function per consumer with that
   * consumer's grants and settings. The router may only read the stream, invoke those four functions and
   * park in the failure queues; it reads no table item and no secret.
   * Each consumer retries and parks on its own inside the router (deliverInOrder), so the event source
   * sees a failure only when a record could not even be parked: then the batch is split until that record
   * is alone (bisect), retried, and after 10 retries its coordinates go to the router's failure queue so
   * the shard moves on. One batch per shard at a time (parallelization factor 1) keeps each shard's
   * records in order. The filters are the consumers' own, OR-ed (at most 5 per mapping).
   */
  private streamRouterFunction(props: { state: FerryState; config: InstallConfig }): [FerryFunction, Queue] {
    const slowest = Math.max(...STREAM_CONSUMERS.map((spec) => spec.timeout.toSeconds()));
    const fn = this.ferryFunction({
      name: STREAM_ROUTER_FUNCTION,
      // It waits on each consumer it invokes (routerTimeoutSeconds); its own work is small.
      timeout: Duration.seconds(routerTimeoutSeconds(slowest)),
      memorySize: 256,
    });
    const queues: Record<string, string> = {};
    const functions: Record<string, string> = {};
    for (const spec of STREAM_CONSUMERS) {
      const consumer = this.ferryFunction({
        name: spec.name,
        timeout: spec.timeout,
        ...(spec.memorySize ? { memorySize: spec.memorySize } : {}),
      });
      grantTable(consumer, props.state.table);
      spec.wire(consumer, props);
      consumer.grantInvoke(fn);
      functions[spec.name] = consumer.functionName;
      const failures = props.state.failureQueue(spec.name);
      failures.grantSendMessages(fn);
      queues[spec.name] = failures.queueUrl;
      this.streamConsumers.push({ spec, fn: consumer, failures });
    }
    fn.addEnvironment(ENV_STREAM_FAILURE_QUEUES, Stack.of(this).toJsonString(queues));
    fn.addEnvironment(ENV_STREAM_CONSUMER_FUNCTIONS, Stack.of(this).toJsonString(functions));
    const failures = props.state.failureQueue(STREAM_ROUTER_FUNCTION);
    fn.addEventSource(
      new DynamoEventSource(props.state.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        // The notifier's batch size: Slack's and GitHub's rate limits are what a batch waits on.
        batchSize: 25,
        maxBatchingWindow: Duration.millis(0),
        parallelizationFactor: 1,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(failures),
        filters: STREAM_ROUTES.map((route) => FilterCriteria.filter(route.filter)),
      }),
    );
    return [fn, failures];
  }
}
