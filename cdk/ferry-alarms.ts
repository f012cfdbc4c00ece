import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  type Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC } from '../lib/config/metrics.ts';
import type { InstallConfig } from './config.ts';
import { ferryMetric } from './ferry-metrics.ts';
import type { FerryServices } from './ferry-services.ts';
import { type FerryState, WRITE_MAX_RECEIVES } from './ferry-state.ts';
import { STREAM_CONSUMERS } from './stream-consumers.ts';

const PERIOD = Duration.minutes(5);
/** A queued write older than this means the writer is stuck or one app's message group is blocked. */
const WRITE_AGE_LIMIT = Duration.minutes(10);
/** The stream router this far behind: a consumer is retrying, or the router is too slow for the traffic. */
const ITERATOR_AGE_LIMIT = Duration.minutes(5);
const API_5XX_LIMIT = 5;
/** A request not committed this long after it was recorded: the writer is slow, failing or blocked. */
const COMMIT_LATENCY_LIMIT = Duration.minutes(10);
/** A commit Flux has not judged this long after it was pushed: Flux is slow, stuck or not reporting. */
const RECONCILE_LATENCY_LIMIT = Duration.minutes(30);

const FIXED_ALARMS = {
  'write-dead-letters': `A gitops write failed ${WRITE_MAX_RECEIVES} times and was parked in the write dead-letter queue; sqs-dead-letters marks its request failed, and \`ferry requeue <id>\` requests it again once the cause is fixed.`,
  'writer-errors':
    'The writer threw instead of reporting per-message failures: a whole batch is being retried.',
  'write-queue-age': `A write has waited more than ${WRITE_AGE_LIMIT.toMinutes()} minutes on the FIFO queue: the writer is failing, or one app's message group is blocked.`,
  'api-5xx': `The HTTP API answered ${API_5XX_LIMIT} or more server errors in ${PERIOD.toMinutes()} minutes.`,
  'flux-events-5xx': 'The flux-events Function URL answered a server error: Flux events may be lost.',
  'stream-router-iterator-age': `The stream router is more than ${ITERATOR_AGE_LIMIT.toMinutes()} minutes behind the table stream: a consumer is retrying, or the traffic outgrows it.`,
  'stream-router-failures':
    "The stream router could not park a record after its retries (a failure queue refused it); the record's coordinates are in its own failure queue.",
  'releases-failed':
    'A release ended failed (the writer refused it, or Flux reported a failed reconciliation); `ferry status` and the release page say why.',
  'request-to-commit-latency': `A release took more than ${COMMIT_LATENCY_LIMIT.toMinutes()} minutes from its request to its gitops commit.`,
  'commit-to-reconciled-latency': `Flux took more than ${RECONCILE_LATENCY_LIMIT.toMinutes()} minutes from a Ferry commit to its verdict.`,
} as const;

const STREAM_ALARMS = (consumer: string) => ({
  [`${consumer}-failures`]: `${consumer} gave up on a stream record after its retries; the record's coordinates are in its failure queue.`,
});

/** Every alarm the stack creates (its name after the stack name) and what it means when it fires. */
export const ALARMS: Readonly<Record<string, string>> = {
  ...FIXED_ALARMS,
  ...Object.fromEntries(STREAM_CONSUMERS.flatMap((c) => Object.entries(STREAM_ALARMS(c.name)))),
};

/**
 * The alarms, and where they go: a new SNS topic with `alarmEmail` subscribed, an existing topic from
 * `alarmTopicArn`, or nowhere (they still show in the CloudWatch console).
 */
export class FerryAlarms extends Construct {
  readonly topic?: ITopic;
  readonly alarms = new Map<string, Alarm>();

  constructor(
    scope: Construct,
    id: string,
    props: { state: FerryState; services: FerryServices; config: InstallConfig },
  ) {
    super(scope, id);
    const { state, services } = props;
    const { email, topicArn } = props.config.alarms;
    if (email) {
      this.topic = new Topic(this, 'Topic', { displayName: 'Ferry alarms' });
      this.topic.addSubscription(new EmailSubscription(email));
      new CfnOutput(Stack.of(this), 'AlarmTopicArn', { value: this.topic.topicArn });
    } else if (topicArn) {
      this.topic = Topic.fromTopicArn(this, 'Topic', topicArn);
    }

    // Typed by FIXED_ALARMS, so a listed alarm without a metric (or the reverse) does not compile.
    const fixed: Record<keyof typeof FIXED_ALARMS, [IMetric, number]> = {
      // sqs-dead-letters empties the queue within seconds, so its depth is not seen: count the receives.
      // Not NumberOfMessagesSent: "if a message is sent to a dead-letter queue as a result of a failed
      // processing attempt, it isn't captured by this metric" (SQS developer guide, available CloudWatch
      // metrics). A message the function keeps is received again, so a stuck one keeps the alarm up.
      'write-dead-letters': [
        state.writeDeadLetters.metricNumberOfMessagesReceived({ period: PERIOD, statistic: 'Sum' }),
        1,
      ],
      'writer-errors': [services.writer.metricErrors({ period: PERIOD }), 1],
      'write-queue-age': [
        deepest(state.writes.metricApproximateAgeOfOldestMessage()),
        WRITE_AGE_LIMIT.toSeconds(),
      ],
      'api-5xx': [services.api.metricServerError({ period: PERIOD }), API_5XX_LIMIT],
      'flux-events-5xx': [services.fluxEvents.metric('Url5xxCount', { period: PERIOD, statistic: 'Sum' }), 1],
      'stream-router-iterator-age': [
        services.streamRouter.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum' }),
        ITERATOR_AGE_LIMIT.toMilliseconds(),
      ],
      'stream-router-failures': [
        deepest(services.streamRouterFailures.metricApproximateNumberOfMessagesVisible()),
        1,
      ],
      // Ferry's own metrics (EMF from the functions; names shared through lib/config/metrics.ts).
      'releases-failed': [ferryMetric(METRIC.failed, { period: PERIOD }), 1],
      'request-to-commit-latency': [
        ferryMetric(METRIC.requestToCommit, { statistic: 'Maximum', period: PERIOD }),
        COMMIT_LATENCY_LIMIT.toMilliseconds(),
      ],
      'commit-to-reconciled-latency': [
        ferryMetric(METRIC.commitToReconciled, { statistic: 'Maximum', period: PERIOD }),
        RECONCILE_LATENCY_LIMIT.toMilliseconds(),
      ],
    };
    for (const [name, [metric, threshold]] of Object.entries(fixed)) this.alarm(name, metric, threshold);
    for (const { spec, failures } of services.streamConsumers) {
      this.alarm(`${spec.name}-failures`, deepest(failures.metricApproximateNumberOfMessagesVisible()), 1);
    }
  }

  private alarm(name: string, metric: IMetric, threshold: number): void {
    const description = ALARMS[name];
    if (!description) throw new Error(`alarm ${name} is not listed in ALARMS`);
    const alarm = new Alarm(this, name, {
      alarmName: `${Stack.of(this).stackName}-${name}`,
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (this.topic) {
      alarm.addAlarmAction(new SnsAction(this.topic));
      alarm.addOkAction(new SnsAction(this.topic));
    }
    this.alarms.set(name, alarm);
  }
}

/** The largest value seen in the period: a queue that held one message for a minute still counts. */
function deepest(metric: Metric): Metric {
  return metric.with({ period: PERIOD, statistic: 'Maximum' });
}
