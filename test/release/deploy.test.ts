import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

describe('deploy through the queue and the writer', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack();
  }, 60_000);
  afterAll(async () => t?.close());

  it('turns a deploy request into one commit with trailers, visible in the served repository', async () => {
    const shipped = await t.ship({
      ...artifact({}, [{ app: 'web', env: 'staging', manifests: configMap('web', '{{ .SHA }}') }]),
      vars: { SHA: 'f00d' },
    });
    const created = await t.request('POST', '/api/releases', {
      body: { env: 'staging', app: 'web', artifactId: shipped.id },
    });
    expect(created).toMatchObject({ status: 201 });
    const done = await t.settle(created.body.id);
    expect(done.state).toBe('committed');
    expect(done.states.map((s: any) => s.state)).toEqual(['requested', 'queued', 'committed']);

    const repo = t.clone();
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(done.gitopsSha);
    const message = repo.git('log', '-1', '--format=%B');
    expect(message).toContain(`Ferry-Request-Id: ${created.body.id}`);
    expect(message).toContain(`Ferry-Artifact-Id: ${shipped.id}`);
    expect(repo.git('ls-tree', '-r', '--name-only', 'HEAD').trim().split('\n')).toEqual([
      'staging/flux/apps/web.yaml',
      'staging/web/configmap-web.yaml',
      'staging/web/release.json',
    ]);
    expect(repo.git('show', 'HEAD:staging/web/configmap-web.yaml')).toContain('value: "f00d"');
  });
});
