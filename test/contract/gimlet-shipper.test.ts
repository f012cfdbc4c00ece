import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { GimletCli } from './gimlet/cli.ts';
import { fakeFlux, type Verdict } from './gimlet/flux.ts';
import { runShipper, type ShipperInputs } from './gimlet/shipper.ts';

/**
 * gimlet-artifact-shipper-action's whole `entrypoint.sh` as HTTP calls (see ./gimlet/shipper.ts):
 * v0.8.x with its bundled cli-v0.20.0 and v0.9.0 (main) with cli-v0.25.0, in each mode: plain, `wait`,
 * and `deploy` (track the artifact, then `release make` + `release track --wait`). Flux is stood in for by
 * signed generic-hmac events carrying the verdict each scenario needs.
 */
const KEY = 'shipper-flux-hmac-key';
const ACTIONS = [
  ['v0.8.x', 'cli-v0.20.0'],
  ['v0.9.0', 'cli-v0.25.0'],
] as const;

let t: TestStack;
let counter = 0;
beforeAll(async () => {
  t = await startTestStack({ fluxHmacKey: KEY });
}, 90_000);
afterAll(async () => t?.close());

function inputs(env: string, policy: boolean, extra: Partial<ShipperInputs> = {}): ShipperInputs {
  const sha = `${(++counter).toString(16).padStart(4, '0')}${'5ca1ab1e'.repeat(5)}`.slice(0, 40);
  return {
    github: {
      repository: 'acme/shop',
      sha,
      ref: 'refs/heads/main',
      runId: String(1000 + counter),
      actor: 'dev',
      eventName: 'push',
      job: 'ship',
    },
    commit: {
      message: 'Ship it',
      author: 'Dev',
      email: 'dev@example.com',
      createdIso: '2026-11-29T10:00:00+01:00',
    },
    gimletFiles: {
      [`${env}.yaml`]: `app: shop
env: ${env}
namespace: default
${policy ? 'deploy:\n  branch: main\n  event: push\n' : ''}manifests: |
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: shop
    namespace: default
  data:
    image: "acme/shop:{{ .SHA }}"
    run: "{{ .GITHUB_RUN_ID }}"
`,
    },
    timeoutMs: 30_000,
    ...extra,
  };
}

async function withFlux<T>(env: string, verdict: Verdict, run: () => Promise<T>): Promise<T> {
  const flux = fakeFlux(t, KEY, env, () => verdict);
  try {
    return await run();
  } finally {
    await flux.stop();
  }
}

describe.each(ACTIONS)('gimlet-artifact-shipper-action %s (%s)', (action, version) => {
  const cli = () => new GimletCli(version, t.url, t.adminToken);
  const tag = action === 'v0.8.x' ? 'a08' : 'a09';

  it('ships the artifact with its .gimlet manifests and variables, and exits 0', async () => {
    const env = `${tag}-plain`;
    const run = await runShipper(cli(), action, inputs(env, false, { fields: 'image=acme/shop:1' }));
    expect(run.exitCode).toBe(0);
    const stored = await t.request('GET', `/api/artifacts/${run.artifactId}`);
    expect(stored.body).toMatchObject({
      version: { repositoryName: 'acme/shop', branch: 'main', event: 'push', created: 1795942800 },
      environments: [{ env, app: 'shop' }],
      items: [{ name: 'CI' }, { name: 'image', url: 'acme/shop:1' }],
      vars: { REPO: 'acme/shop', BRANCH: 'main', GITHUB_BRANCH: 'main' },
    });
  });

  it('wait: a policy deploy Flux applies ends the step green', async () => {
    const env = `${tag}-wait-ok`;
    const run = await withFlux(env, 'succeeded', () =>
      runShipper(cli(), action, inputs(env, true, { wait: true })),
    );
    expect(run.exitCode).toBe(0);
    expect(run.log.join('\n')).toMatch(
      /📖 shop -> .*-wait-ok, gitops hash [0-9a-f]{40}, status is ReconciliationSucceeded/,
    );
  });

  it('wait: a policy deploy whose Flux verdict is failed fails the step', async () => {
    const env = `${tag}-wait-bad`;
    const run = await withFlux(env, 'failed', () =>
      runShipper(cli(), action, inputs(env, true, { wait: true })),
    );
    expect(run.exitCode).toBe(1);
    expect(run.log.at(-1)).toBe('gitops commits have failed to apply');
    expect(run.log.join('\n')).toContain('status: ReconciliationFailed, HealthCheckFailed');
  });

  it('deploy: true releases to env/app and waits for Flux (green on success, red on failure)', async () => {
    for (const verdict of ['succeeded', 'failed'] as Verdict[]) {
      const env = `${tag}-deploy-${verdict}`;
      const run = await withFlux(env, verdict, () =>
        runShipper(cli(), action, inputs(env, false, { deploy: true, env, app: 'shop' })),
      );
      expect(run.log).toContain("\t🔖 The artifact didn't trigger any release policies");
      expect(run.releaseId).toMatch(/\S/);
      expect(run.exitCode).toBe(verdict === 'succeeded' ? 0 : 1);
      const done = await t.request('GET', `/api/releases/${run.releaseId}`);
      expect(done.body.state).toBe(verdict);
    }
  });

  it('deploy: true stops at the artifact’s own failed policy deploy, before release make', async () => {
    const env = `${tag}-deploy-policy`;
    const run = await withFlux(env, 'failed', () =>
      runShipper(cli(), action, inputs(env, true, { deploy: true, env, app: 'shop' })),
    );
    // The artifact's own policy deploy fails first: `set -e` stops before `release make`.
    expect(run.exitCode).toBe(1);
    expect(run.releaseId).toBeUndefined();
  });

  it('deploy: true naming an app the artifact does not carry fails the step with the reason', async () => {
    const env = `${tag}-deploy-typo`;
    const run = await runShipper(cli(), action, inputs(env, false, { deploy: true, env, app: 'shoop' }));
    expect(run.exitCode).toBe(1);
    expect(run.log.join('\n')).toMatch(/client error 4\d\d: .*shoop/);
  });
});
