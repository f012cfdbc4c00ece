import { Duration, RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { DeduplicationScope, FifoThroughputLimit, Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INDEXES, KEY, TTL_ATTRIBUTE } from '../lib/adapters/dynamodb/schema.ts';

/** How long a parked message or stream record waits in a dead-letter queue for someone to look at it. */
const PARKED_FOR = Duration.days(14);
/** The writer's timeout is 1 minute; SQS wants the visibility timeout at least six times that. */
const WRITE_VISIBILITY = Duration.minutes(6);
export const WRITE_MAX_RECEIVES = 5;

/**
 * A secret the platform team fills in after deploy. Secrets Manager refuses an empty value, so it starts
 * as one space, which Ferry reads as "not configured" (Slack and GitHub stay off, Flux needs a token
 * instead of a signature) rather than as a wrong token.
 */
export const UNSET_SECRET = ' ';

export interface FerrySecrets {
  /** Generated at deploy: the default admin, until real users and tokens exist. */
  adminToken: Secret;
  gitToken: Secret;
  slackToken: Secret;
  githubToken: Secret;
  fluxHmacKey: Secret;
  githubWebhookSecret: Secret;
  slackSigningSecret: Secret;
}

/**
 * Everything that holds data: the table, the write queue and every dead-letter queue, the secrets. All of
 * it survives `cdk destroy` and a replacement of the functions (DeletionPolicy Retain), and the table
 * keeps 35 days of point-in-time recovery. The logical ids follow from these construct ids: renaming one
 * would orphan the resource and start an empty one.
 */
export class FerryState extends Construct {
  readonly table: Table;
  readonly writes: Queue;
  readonly writeDeadLetters: Queue;
  readonly secrets: FerrySecrets;

  constructor(scope: Construct, id: string) {
    super(scope, id);

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

    // Every gitops write goes through this queue to the single writer. Content-based deduplication is off:
    // the sender sets the request id as the deduplication id, so a re-sent request is dropped by SQS.
    this.writeDeadLetters = new Queue(this, 'WriteDeadLetters', {
      fifo: true,
      retentionPeriod: PARKED_FOR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.writes = new Queue(this, 'Writes', {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout: WRITE_VISIBILITY,
      deadLetterQueue: { queue: this.writeDeadLetters, maxReceiveCount: WRITE_MAX_RECEIVES },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const toFillIn = (id: string, description: string) =>
      new Secret(this, id, {
        description: `${description} (fill in after deploy)`,
        secretStringValue: SecretValue.unsafePlainText(UNSET_SECRET),
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.secrets = {
      adminToken: new Secret(this, 'AdminToken', {
        description: 'Ferry admin API token (generated at deploy)',
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      gitToken: toFillIn('GitToken', 'Token the writer pushes to the gitops repository with'),
      slackToken: toFillIn('SlackToken', 'Slack bot token (xoxb-) the notifier posts with'),
      githubToken: toFillIn('GithubToken', 'GitHub token the notifier sets commit statuses with'),
      fluxHmacKey: toFillIn('FluxHmacKey', "Key Flux's generic-hmac Provider signs events with"),
      githubWebhookSecret: toFillIn('GithubWebhookSecret', 'Secret GitHub signs webhook deliveries with'),
      slackSigningSecret: toFillIn(
        'SlackSigningSecret',
        "Slack app's signing secret (Approve/Reject buttons)",
      ),
    };
  }

  /** A standard queue that keeps what a stream consumer gave up on (stream event sources cannot use FIFO). */
  failureQueue(consumer: string): Queue {
    return new Queue(this, `Failures-${consumer}`, {
      retentionPeriod: PARKED_FOR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
