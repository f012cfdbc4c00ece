import { App, AssetStaging } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { readInstallConfig } from '../../cdk/config.ts';
import { FerryStack, type FerryStackProps } from '../../cdk/ferry-stack.ts';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from '../../lib/config/metrics.ts';

const GITOPS = { repoUrl: 'https://git.example.com/acme/gitops.git', branch: 'main' };

function synth(props: Partial<FerryStackProps> = {}) {
  // Test files share a worker's modules: CDK's process-wide cache of staged assets may name another
  // file's (since deleted, or never bundled) assembly.
  AssetStaging.clearAssetHashCache();
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new FerryStack(app, 'Ferry', { gitops: GITOPS, ...props });
  return { stack, json: Template.fromStack(stack).toJSON() as { Resources: Record<string, any> } };
}
const of = (json: { Resources: Record<string, any> }, type: string) =>
  Object.values(json.Resources).filter((r) => r.Type === type);

/** A dashboard body is a CloudFormation Fn::Join of literal parts and references: the literal text. */
function bodyText(dashboard: any): string {
  const body = dashboard.Properties.DashboardBody;
  if (typeof body === 'string') return body;
  return (body['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'REF')).join('');
}

describe('observability in the stack', () => {
  let plain: ReturnType<typeof synth>;
  let traced: ReturnType<typeof synth>;
  beforeAll(() => {
    plain = synth();
    traced = synth({ tracing: true });
  }, 120_000);

  it('has one CloudWatch dashboard that graphs every Ferry metric and every alarm', () => {
    const dashboards = of(plain.json, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const widgets = JSON.parse(bodyText(dashboards[0])).widgets as any[];
    const metrics = widgets.flatMap((w) => w.properties.metrics ?? []) as unknown[][];
    const ferry = metrics.filter((m) => m[0] === METRICS_NAMESPACE);
    for (const name of Object.values(METRIC)) {
      expect(
        ferry.some((m) => m[1] === name && m.includes('service') && m.includes(METRICS_SERVICE)),
        name,
      ).toBe(true);
    }
    // Requests by kind: one line per intent.
    expect(ferry.filter((m) => m[1] === METRIC.requests && m.includes('kind'))).toHaveLength(4);
    const status = widgets.find((w) => w.type === 'alarm');
    expect(status.properties.alarms).toHaveLength(plain.stack.alarms.alarms.size);
  });

  it('alarms on Ferry’s own metrics, in the namespace and with the dimension the functions emit', () => {
    const alarms = of(plain.json, 'AWS::CloudWatch::Alarm').map((a) => a.Properties);
    const own = alarms.filter((a) => a.Namespace === METRICS_NAMESPACE);
    expect(own.map((a) => a.MetricName).sort()).toEqual(
      [METRIC.commitToReconciled, METRIC.failed, METRIC.requestToCommit].sort(),
    );
    for (const alarm of own) {
      expect(alarm.Dimensions).toEqual([{ Name: 'service', Value: METRICS_SERVICE }]);
    }
    expect(own.find((a) => a.MetricName === METRIC.failed)).toMatchObject({
      AlarmName: 'Ferry-releases-failed',
      Statistic: 'Sum',
      Threshold: 1,
    });
    expect(own.find((a) => a.MetricName === METRIC.requestToCommit)).toMatchObject({
      Statistic: 'Maximum',
      Threshold: 600_000,
    });
  });

  it('turns on X-Ray active tracing for every function only with the tracing setting', () => {
    const fns = (t: ReturnType<typeof synth>) => of(t.json, 'AWS::Lambda::Function').map((f) => f.Properties);
    expect(fns(plain).every((f) => f.TracingConfig === undefined)).toBe(true);
    const tracedFns = fns(traced);
    expect(tracedFns.length).toBe(traced.stack.services.functions.size);
    for (const f of tracedFns) expect(f.TracingConfig).toEqual({ Mode: 'Active' });
    expect(readInstallConfig((key) => (key === 'tracing' ? 'true' : undefined)).tracing).toBe(true);
    expect(() => readInstallConfig((key) => (key === 'tracing' ? 'sometimes' : undefined))).toThrow(
      /context tracing/,
    );
  });
});
