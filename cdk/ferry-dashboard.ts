import { Duration, Stack } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRIC } from '../lib/config/metrics.ts';
import { INTENTS } from '../lib/domain/release.ts';
import type { FerryAlarms } from './ferry-alarms.ts';
import { ferryMetric } from './ferry-metrics.ts';
import type { FerryServices } from './ferry-services.ts';
import type { FerryState } from './ferry-state.ts';

const PERIOD = Duration.minutes(5);

/**
 * One CloudWatch dashboard: the release flow from Ferry's own metrics on the first rows (requests by
 * kind → commits → verdicts, and how long each step took), the health of the parts below (queue, stream,
 * functions, API), and every alarm's state at the top.
 */
export class FerryDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(
    scope: Construct,
    id: string,
    props: { state: FerryState; services: FerryServices; alarms: FerryAlarms },
  ) {
    super(scope, id);
    const { state, services, alarms } = props;
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-ferry`,
      defaultInterval: Duration.hours(6),
    });
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 8, height: 6 });
    const p = (name: typeof METRIC.requestToCommit | typeof METRIC.commitToReconciled, stat: string) =>
      ferryMetric(name, { statistic: stat, label: stat });

    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          "## Ferry\nRelease flow from Ferry's own metrics (namespace `Ferry`), then the health of the queue, stream and functions. Logs: filter on `correlation_id` = a release request id.",
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms.alarms.values()], width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      graph(
        'Release requests by kind',
        INTENTS.map((kind) => ferryMetric(METRIC.requests, { kind, label: kind })),
      ),
      graph('Commits and verdicts', [
        ferryMetric(METRIC.commits, { label: 'committed' }),
        ferryMetric(METRIC.succeeded, { label: 'succeeded' }),
        ferryMetric(METRIC.failed, { label: 'failed' }),
      ]),
      graph('Push races (writer lost a push and re-applied)', [ferryMetric(METRIC.pushRaces)]),
    );
    this.dashboard.addWidgets(
      graph('Request → commit (ms)', [p(METRIC.requestToCommit, 'p50'), p(METRIC.requestToCommit, 'p90')]),
      graph('Commit → Flux verdict (ms)', [
        p(METRIC.commitToReconciled, 'p50'),
        p(METRIC.commitToReconciled, 'p90'),
      ]),
      graph(
        'Write queue age (ms at receipt; s oldest waiting)',
        [ferryMetric(METRIC.queueAge, { statistic: 'Maximum', label: 'age at receipt (ms)' })],
        [
          state.writes.metricApproximateAgeOfOldestMessage({
            period: PERIOD,
            statistic: 'Maximum',
            label: 'oldest waiting (s)',
          }),
        ],
      ),
    );
    const fns = [...services.functions.values()];
    this.dashboard.addWidgets(
      graph(
        'Function errors',
        fns.map((fn) => fn.metricErrors({ period: PERIOD, label: fn.node.id.replace(/^Fn-/, '') })),
      ),
      graph(
        'Stream router: iterator age (ms) and parked records',
        [services.streamRouter.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum' })],
        services.streamConsumers.map(({ failures, spec }) =>
          failures.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: 'Maximum',
            label: `${spec.name} parked`,
          }),
        ),
      ),
      graph('API', [
        services.api.metricCount({ period: PERIOD, label: 'requests' }),
        services.api.metricServerError({ period: PERIOD, label: '5xx' }),
        services.api.metricClientError({ period: PERIOD, label: '4xx' }),
      ]),
    );
  }
}
