import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { assertFluxApplies, buildLikeFlux, fluxPaths, objectId } from '../support/flux-oracle.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/** Gitops trees written through the whole stack, judged by the Flux oracle. */

const chart = { repository: 'https://chart.onechart.dev', name: 'onechart', version: '0.73.0' };
const worker = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  replicas: 1\n';
const reader =
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: shop-reader\n';

describe('gitops trees Flux applies', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack();
  }, 60_000);
  afterAll(async () => t?.close());

  async function settledRequests(artifactId: string): Promise<any[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const requests = await t.stack.deps.releases.forArtifact(artifactId);
      if (requests.length > 0) return Promise.all(requests.map((r) => t.settle(r.id)));
      if (Date.now() > deadline) throw new Error(`no requests for ${artifactId}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function builtApp(path: string) {
    const repo = t.clone();
    await assertFluxApplies(repo.dir, fluxPaths(repo.dir));
    return new Map((await buildLikeFlux(repo.dir, path)).map((o) => [objectId(o), o as any]));
  }

  it('two open pull requests of one app preview side by side, each with its own names and host', async () => {
    // Prepare
    const preview = {
      app: 'shop',
      env: 'preview',
      namespace: 'previews',
      preview: true,
      chart,
      values: { ingress: { host: 'shop.preview.acme.dev' } },
      manifests: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .APP }}-settings"\n',
    };
    // Act
    const shipped = await Promise.all(
      ['feature/a', 'feature/b'].map((branch) =>
        t.ship(artifact({ repositoryName: 'acme/shop', branch, event: 'pr' }, [preview])),
      ),
    );
    const settled = (await Promise.all(shipped.map((s) => settledRequests(s.id)))).flat();
    // Assess
    expect(settled.map((r) => [r.app, r.state]).sort()).toEqual([
      ['shop-feature-a', 'committed'],
      ['shop-feature-b', 'committed'],
    ]);
    const b = await builtApp('preview/shop-feature-b');
    expect(b.get('HelmRelease.helm.toolkit.fluxcd.io/v2/previews/shop-feature-b')).toMatchObject({
      spec: {
        releaseName: 'shop-feature-b',
        values: { ingress: { host: 'shop-feature-b.preview.acme.dev' } },
      },
    });
    expect(b.has('ConfigMap.v1/previews/shop-feature-b-settings')).toBe(true);
  });

  it('chart, raw objects without a namespace and both kinds of patches apply together, beside another app', async () => {
    // Prepare
    const shipped = await t.ship(
      artifact({}, [
        {
          app: 'shop',
          env: 'staging',
          namespace: 'shop',
          chart,
          manifests: `${worker}---\n${reader}`,
          strategicMergePatches: `${worker.replace('replicas: 1', 'replicas: 3')}---\n${worker
            .replace('worker', 'shop')
            .replace('replicas: 1', 'replicas: 2')}`,
          json6902Patches: [
            {
              patch: '- op: add\n  path: /metadata/annotations\n  value: {team: shop}\n',
              target: { kind: 'Deployment' },
            },
          ],
        },
        {
          app: 'api',
          env: 'staging',
          namespace: 'shop',
          manifests: worker.replace('worker', 'api'),
        },
      ]),
    );
    // Act
    const ids = await Promise.all(
      ['shop', 'api'].map(async (app) => {
        const res = await t.request('POST', '/api/releases', {
          body: { env: 'staging', app, artifactId: shipped.id },
        });
        expect(res.status).toBe(201);
        return res.body.id as string;
      }),
    );
    const done = await t.settleAll(ids);
    // Assess
    expect(done.map((r) => r.state)).toEqual(['committed', 'committed']);
    const shop = await builtApp('staging/shop');
    expect(shop.get('Deployment.apps/v1/shop/worker')).toMatchObject({
      metadata: { annotations: { team: 'shop' } },
      spec: { replicas: 3 },
    });
    expect(shop.has('ClusterRole.rbac.authorization.k8s.io/v1/shop-reader')).toBe(true);
    expect(shop.get('HelmRelease.helm.toolkit.fluxcd.io/v2/shop/shop')).toMatchObject({
      spec: { postRenderers: [{ kustomize: { patches: [{}, { target: { kind: 'Deployment' } }] } }] },
    });
    const api = await builtApp('staging/api');
    expect([...api.keys()].sort()).toEqual(['Deployment.apps/v1/shop/api', 'Namespace.v1/shop']);
  });

  it('refuses an app named flux-system when shipped, and a preview whose name would be reserved', async () => {
    const named = await t.request('POST', '/api/artifact', {
      body: artifact({}, [{ app: 'flux-system', env: 'staging', chart }]),
    });
    expect(named.status).toBe(400);
    expect(named.body.error.message).toBe(
      'environments[0].app: "flux-system" is reserved: Flux uses <env>/flux/ and <env>/flux-system/',
    );
    const pr = await t.ship(
      artifact({ branch: 'system', event: 'pr' }, [
        { app: 'flux-preview', env: 'preview', preview: true, chart },
      ]),
    );
    const release = await t.request('POST', '/api/releases', { body: { env: 'preview', artifactId: pr.id } });
    expect(release.status).toBe(400);
    expect(release.body.error.message).toContain('"flux-system" is reserved');
  });

  it('refuses a git-hosted chart when the artifact is shipped', async () => {
    const res = await t.request('POST', '/api/artifact', {
      body: artifact({}, [{ app: 'web', env: 'staging', chart: { name: 'git@github.com:acme/charts.git' } }]),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('environments[0].chart.name: git charts are not supported');
  });
});
