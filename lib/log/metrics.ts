import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, METRICS_SERVICE, type MetricName } from '../config/metrics.ts';
import { correlationIdOf, currentInvocation, type Invocation, type RecordedMetric } from './invocation.ts';
import { type LogSink, stdoutSink } from './logger.ts';

/**
 * Ferry's metrics as CloudWatch embedded metric format (EMF) lines on stdout, serialised by Powertools'
 * Metrics: CloudWatch turns each line of the function's log into metric points, with no API call and no
 * permission. A metric is recorded into the current invocation and written when it ends; outside an
 * invocation (a unit test calling a use case) there is nowhere to write it, and it is dropped.
 */
export function recordMetric(
  name: MetricName,
  unit: RecordedMetric['unit'],
  value: number,
  dimensions: Record<string, string> = {},
): void {
  const invocation = currentInvocation();
  if (!invocation || !Number.isFinite(value)) return;
  const correlationId = correlationIdOf(invocation);
  invocation.metrics.push({
    name,
    unit,
    value,
    dimensions,
    ...(correlationId ? { correlationId } : {}),
  });
}

/** Milliseconds from one ISO time to another; undefined when either is missing or unreadable. */
export function millisBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/**
 * Writes what an invocation recorded: one EMF document per set of dimensions and correlation id (EMF puts
 * one dimension set on every metric of a document). The correlation id goes in as metadata, a property
 * CloudWatch keeps in the log line without making it a dimension (one per release would cost a metric each).
 */
export function flushMetrics(invocation: Invocation, sink: LogSink = stdoutSink): void {
  const groups = new Map<string, RecordedMetric[]>();
  for (const metric of invocation.metrics) {
    const key = JSON.stringify([metric.dimensions, metric.correlationId ?? '']);
    groups.set(key, [...(groups.get(key) ?? []), metric]);
  }
  for (const metrics of groups.values()) {
    const first = metrics[0] as RecordedMetric;
    const emf = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
    emf.addDimensions(first.dimensions);
    emf.addMetadata('function_name', invocation.functionName);
    emf.addMetadata('function_request_id', invocation.requestId);
    if (first.correlationId) emf.addMetadata('correlation_id', first.correlationId);
    for (const m of metrics) {
      emf.addMetric(m.name, m.unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds, m.value);
    }
    sink(JSON.stringify(emf.serializeMetrics()));
  }
  invocation.metrics.length = 0;
}
