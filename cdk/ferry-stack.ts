import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { GitopsConfig } from '../lib/config/env.ts';
import { API_FUNCTIONS, type ApiFunction } from '../lib/http/routes.ts';
import { type InstallConfig, PLACEHOLDER_REPO_URL, withDefaults } from './config.ts';
import { FerryAlarms } from './ferry-alarms.ts';
import { FerryDashboard } from './ferry-dashboard.ts';
import type { FerryFunction } from './ferry-function.ts';
import { FerryServices, UNRESERVED_WRITER_MAX_CONCURRENCY } from './ferry-services.ts';
import { FerryState } from './ferry-state.ts';

/**
 * Lambda keeps at least 100 concurrent executions of each account and Region unreserved: a function may
 * reserve up to the unreserved account concurrency minus 100 (AWS Lambda Developer Guide, "Configuring
 * reserved concurrency for a function", docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
 * A reservation that would leave less fails the deploy.
 */
export const UNRESERVED_MINIMUM = 100;

/** The Service Quotas code of "Concurrent executions" (Lambda), to ask for more. */
export const CONCURRENCY_QUOTA_CODE = 'L-B99A9384';

/** The install's settings (cdk/config.ts reads them from context); only the gitops repository is required. */
export interface FerryStackProps extends StackProps, Partial<InstallConfig> {
  gitops: GitopsConfig;
}

/**
 * One stack in three parts: FerryState holds the data (retained, point-in-time recovery), FerryServices
 * everything that can be rebuilt from code, FerryAlarms watches both. One stack keeps a deploy atomic and
 * avoids cross-stack exports, which CloudFormation refuses to change while another stack imports them;
 * Retain and the fixed construct ids protect the data instead.
 */
export class FerryStack extends Stack {
  readonly config: InstallConfig;
  readonly state: FerryState;
  readonly services: FerryServices;
  readonly alarms: FerryAlarms;
  readonly dashboard: FerryDashboard;

  constructor(scope: Construct, id: string, props: FerryStackProps) {
    super(scope, id, props);
    this.config = withDefaults(props);
    if (this.config.gitops.repoUrl === PLACEHOLDER_REPO_URL) {
      Annotations.of(this).addWarningV2(
        'ferry:placeholder-gitops-repo',
        `gitopsRepoUrl is the example ${PLACEHOLDER_REPO_URL}: deploy with -c gitopsRepoUrl=https://…`,
      );
    }

    this.state = new FerryState(this, 'State');
    this.services = new FerryServices(this, 'Services', { state: this.state, config: this.config });
    this.warnAboutConcurrency();
    this.alarms = new FerryAlarms(this, 'Alarms', {
      state: this.state,
      services: this.services,
      config: this.config,
    });
    this.dashboard = new FerryDashboard(this, 'Dashboard', {
      state: this.state,
      services: this.services,
      alarms: this.alarms,
    });

    const { secrets } = this.state;
    const output = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description });
    output('ApiUrl', this.services.api.apiEndpoint, 'FERRY_SERVER (or GIMLET_SERVER) for CI and the CLI');
    output(
      'DashboardUrl',
      `${this.services.api.apiEndpoint}/ui/`,
      'The web dashboard (sign in with a Ferry token)',
    );
    output(
      'FluxEventsUrl',
      this.services.fluxEventsUrl.url,
      'Flux Provider address (ferry env init writes it)',
    );
    output('AdminTokenSecretName', secrets.adminToken.secretName, 'Read it: the default admin token');
    output('AdminTokenSecretArn', secrets.adminToken.secretArn, 'The same secret, by ARN');
    output(
      'GitTokenSecretName',
      secrets.gitToken.secretName,
      'Fill in: a token that may push to the gitops repo',
    );
    output('SlackTokenSecretName', secrets.slackToken.secretName, 'Fill in: Slack bot token (xoxb-…)');
    output(
      'GithubTokenSecretName',
      secrets.githubToken.secretName,
      'Fill in: GitHub token for commit statuses',
    );
    output(
      'FluxHmacKeySecretName',
      secrets.fluxHmacKey.secretName,
      'Fill in: the generic-hmac key, no newline',
    );
    output(
      'GithubWebhookSecretName',
      secrets.githubWebhookSecret.secretName,
      'Fill in: the secret GitHub signs webhook deliveries with',
    );
    output('WriteQueueUrl', this.state.writes.queueUrl, 'The FIFO queue of gitops writes');
    output('WriteDeadLetterQueueUrl', this.state.writeDeadLetters.queueUrl, 'Writes that failed 5 times');
  }

  /** What the stack reserves, by function name (only functions with a reservation). */
  get reservedConcurrency(): Record<string, number> {
    const reserved: Record<string, number> = {};
    for (const [name, fn] of this.services.functions) {
      const n = (fn.node.defaultChild as CfnFunction).reservedConcurrentExecutions;
      if (typeof n === 'number') reserved[name] = n;
    }
    return reserved;
  }

  /**
   * Said at synth, so before `cdk deploy` changes anything: a new account's quota is often 10, under what
   * the reservations need, and CloudFormation would fail half-way with Lambda's terse refusal.
   */
  private warnAboutConcurrency(): void {
    const reserved = this.reservedConcurrency;
    const total = Object.values(reserved).reduce((sum, n) => sum + n, 0);
    if (total > 0) {
      const parts = Object.entries(reserved).map(([name, n]) => `${name} ${n}`);
      Annotations.of(this).addWarningV2(
        'ferry:reserved-concurrency',
        `Ferry reserves ${total} concurrent Lambda executions (${parts.join(', ')}). Lambda keeps ` +
          `${UNRESERVED_MINIMUM} unreserved, so the deploy needs \`aws lambda get-account-settings\` to show ` +
          `UnreservedConcurrentExecutions of at least ${UNRESERVED_MINIMUM + total} in this Region before the first deploy (new ` +
          `accounts often have 10). If it is lower, ask for more (Service Quotas, Lambda ` +
          `${CONCURRENCY_QUOTA_CODE}) or deploy with -c reservedConcurrency=false.`,
      );
    } else {
      Annotations.of(this).addWarningV2(
        'ferry:no-reserved-concurrency',
        'reservedConcurrency=false: the public flux-events Function URL has no concurrency cap, and up to ' +
          `${UNRESERVED_WRITER_MAX_CONCURRENCY} writers may push at once (the loser of a push race ` +
          'fetches and re-applies). Deploy with reserved concurrency once the account quota allows it.',
      );
    }
  }

  /** The API functions by name (what benchmarks and bundle tests load). */
  get functions(): Record<ApiFunction, FerryFunction> {
    return Object.fromEntries(API_FUNCTIONS.map((name) => [name, this.services.apiFunction(name)])) as Record<
      ApiFunction,
      FerryFunction
    >;
  }

  get table(): Table {
    return this.state.table;
  }

  get api(): HttpApi {
    return this.services.api;
  }

  get writer(): FerryFunction {
    return this.services.writer;
  }

  /** The function that runs the dispatcher (a stream consumer, invoked by the stream router). */
  get dispatcher(): FerryFunction {
    return this.services.functionNamed('stream-dispatch');
  }
}
