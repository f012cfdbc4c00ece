import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, type HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { DeduplicationScope, FifoThroughputLimit, Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { INDEXES, KEY, TTL_ATTRIBUTE } from '../lib/adapters/dynamodb/schema.ts';
import type { GitopsConfig } from '../lib/config/env.ts';
import { DISPATCH_FILTER } from '../lib/config/stream-filters.ts';
import { API_FUNCTIONS, type ApiFunction, ROUTES, splitRouteKey } from '../lib/http/routes.ts';
import { FerryFunction } from './ferry-function.ts';
import { grantAdminSecret, grantGitToken, grantSendWrites, grantTable, useGitops } from './grants.ts';

export interface FerryStackProps extends StackProps {
  /** The gitops repository Ferry writes (HTTPS) and its branch. */
  gitops: GitopsConfig;
}

export class FerryStack extends Stack {
  readonly table: Table;
  readonly api: HttpApi;
  readonly functions: Record<ApiFunction, FerryFunction>;
  readonly dispatcher: FerryFunction;
  readonly writer: FerryFunction;

  constructor(scope: Construct, id: string, props: FerryStackProps) {
    super(scope, id, props);

    this.table = new Table(this, 'Table', {
      partitionKey: { name: KEY.partition, type: AttributeType.STRING },
      sortKey: { name: KEY.sort, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partition, type: AttributeType.STRING },
        sortKey: { name: index.sort, type: AttributeType.STRING },
      });
    }

    const adminToken = new Secret(this, 'AdminToken', {
      description: 'Ferry admin API token',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });

    const gitToken = new Secret(this, 'GitToken', {
      description: 'Token the writer pushes to the gitops repository with (fill in after deploy)',
    });

    // Every gitops write goes through this queue to the single writer.
    const writeDeadLetters = new Queue(this, 'WriteDeadLetters', {
      fifo: true,
      retentionPeriod: Duration.days(14),
    });
    const writes = new Queue(this, 'Writes', {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout: Duration.minutes(6),
      deadLetterQueue: { queue: writeDeadLetters, maxReceiveCount: 5 },
    });

    this.functions = Object.fromEntries(
      API_FUNCTIONS.map((name) => {
        const fn = new FerryFunction(this, `Fn-${name}`, { name });
        grantTable(fn, this.table);
        grantAdminSecret(fn, adminToken);
        useGitops(fn, props.gitops);
        return [name, fn];
      }),
    ) as Record<ApiFunction, FerryFunction>;

    // Outbox relay: new release requests → FIFO queue. Records that keep failing go to a DLQ for inspection.
    const dispatchFailures = new Queue(this, 'DispatchFailures', { retentionPeriod: Duration.days(14) });
    this.dispatcher = new FerryFunction(this, 'Fn-stream-dispatch', { name: 'stream-dispatch' });
    grantTable(this.dispatcher, this.table);
    grantSendWrites(this.dispatcher, writes);
    useGitops(this.dispatcher, props.gitops);
    this.dispatcher.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.millis(0),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(dispatchFailures),
        filters: [FilterCriteria.filter(DISPATCH_FILTER)],
      }),
    );

    // The one writer: reserved concurrency 1 serialises every push to the repository.
    this.writer = new FerryFunction(this, 'Fn-sqs-write', {
      name: 'sqs-write',
      timeout: Duration.minutes(1),
      memorySize: 1024,
      reservedConcurrency: 1,
    });
    grantTable(this.writer, this.table);
    grantGitToken(this.writer, gitToken);
    useGitops(this.writer, props.gitops);
    this.writer.addEventSource(new SqsEventSource(writes, { batchSize: 10, reportBatchItemFailures: true }));

    this.api = new HttpApi(this, 'Api', { description: 'Ferry API' });
    const integrations = Object.fromEntries(
      API_FUNCTIONS.map((name) => [name, new HttpLambdaIntegration(`Int-${name}`, this.functions[name])]),
    ) as Record<ApiFunction, HttpLambdaIntegration>;
    for (const route of ROUTES) {
      const { method, path } = splitRouteKey(route.routeKey);
      this.api.addRoutes({
        path,
        methods: [method as HttpMethod],
        integration: integrations[route.fn],
      });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'AdminTokenSecretArn', { value: adminToken.secretArn });
    new CfnOutput(this, 'WriteQueueUrl', { value: writes.queueUrl });
    new CfnOutput(this, 'GitTokenSecretName', { value: gitToken.secretName });
  }
}
