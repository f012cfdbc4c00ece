import { envKey, fluxEventBody, postFluxEvent, sign } from '../../support/flux.ts';
import type { TestStack } from '../../support/stack.ts';

export type Verdict = 'succeeded' | 'failed';

/**
 * Stands in for an environment's Flux: every new commit that deploys into `env` gets the verdict
 * `verdictFor(app)` as notification-controller's generic-hmac provider posts it.
 */
export function fakeFlux(t: TestStack, key: string, env: string, verdictFor: (app: string) => Verdict) {
  const seen = new Set<string>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const res = await t.request('GET', `/api/releases?env=${env}&limit=20`);
      for (const release of res.status === 200 ? res.body : []) {
        if (seen.has(release.gitopsRef)) continue;
        seen.add(release.gitopsRef);
        const failed = verdictFor(release.app) === 'failed';
        const body = fluxEventBody({
          severity: failed ? 'error' : 'info',
          reason: failed ? 'HealthCheckFailed' : 'ReconciliationSucceeded',
          message: failed
            ? `health check failed after 30s: timeout waiting for: [Deployment/default/${release.app} status: 'InProgress']`
            : 'Reconciliation finished in 1s, next run in 10m0s',
          metadata: { revision: `main@sha1:${release.gitopsRef}` },
        });
        await postFluxEvent(t.url, body, { signature: sign(body, envKey(key, env)), query: `env=${env}` });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
