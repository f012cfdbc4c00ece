import { Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import {
  KIND_DIMENSION,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  type MetricName,
} from '../lib/config/metrics.ts';

/**
 * One of Ferry's own metrics as the functions emit it (lib/log/metrics.ts): the same namespace, name and
 * dimensions, or CloudWatch would show an alarm or graph on a metric nobody writes.
 */
export function ferryMetric(
  name: MetricName,
  options: { statistic?: string; kind?: string; period?: Duration; label?: string } = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: {
      service: METRICS_SERVICE,
      ...(options.kind ? { [KIND_DIMENSION]: options.kind } : {}),
    },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
    ...(options.label ? { label: options.label } : {}),
  });
}
