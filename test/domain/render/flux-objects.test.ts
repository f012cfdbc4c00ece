import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseArtifact } from '../../../lib/domain/artifact.ts';
import { ValidationError } from '../../../lib/domain/errors.ts';
import type { Manifest } from '../../../lib/domain/manifest.ts';
import { type RenderedFile, renderManifest } from '../../../lib/domain/render/index.ts';
import { isClusterScoped } from '../../../lib/domain/render/namespaces.ts';
import { renderTarget } from '../../../lib/domain/render-target.ts';
import { selectTarget } from '../../../lib/domain/targets.ts';
import { artifact } from '../../fixtures/artifacts.ts';
import { assertFluxApplies, buildLikeFlux, type K8sObject, objectId } from '../../support/flux-oracle.ts';
import { renderErrorOf } from './render-error.ts';

/**
 * What Ferry writes into `<env>/<app>/`, judged by the Flux oracle (kustomize-controller's build with
 * `kubectl kustomize`, Flux's CRD schemas, namespaces).
 */

const chart = { repository: 'https://chart.onechart.dev', name: 'onechart', version: '0.73.0' };
const deployment = (name: string, extra = '') =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n${extra}spec:\n  replicas: 1\n`;
const clusterRole =
  'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes apps' files as the writer would (`<env>/<app>/<file>`) and returns the tree's root. */
function tree(apps: Record<string, RenderedFile[]>): string {
  const root = mkdtempSync(join(tmpdir(), 'ferry-objects-'));
  dirs.push(root);
  for (const [path, files] of Object.entries(apps)) {
    mkdirSync(join(root, path), { recursive: true });
    for (const file of files) writeFileSync(join(root, path, file.name), file.content);
    writeFileSync(join(root, path, 'release.json'), '{}');
  }
  return root;
}

async function built(files: RenderedFile[]): Promise<Map<string, K8sObject>> {
  const root = tree({ 'staging/web': files });
  await assertFluxApplies(root, ['staging/web']);
  return new Map((await buildLikeFlux(root, 'staging/web')).map((o) => [objectId(o), o]));
}

describe('namespaces of what Ferry writes', () => {
  it("gives raw objects without a namespace the manifest's, and leaves cluster-scoped kinds without", async () => {
    // Prepare
    const manifest: Manifest = {
      app: 'web',
      env: 'staging',
      namespace: 'shop',
      manifests: [deployment('web'), clusterRole, deployment('audit', '  namespace: ops\n')].join('---\n'),
    };
    // Act
    const objects = await built(renderManifest(manifest));
    // Assess
    expect([...objects.keys()].sort()).toEqual([
      'ClusterRole.rbac.authorization.k8s.io/v1/reader',
      'Deployment.apps/v1/ops/audit',
      'Deployment.apps/v1/shop/web',
      'Namespace.v1/ops',
      'Namespace.v1/shop',
    ]);
    expect(objects.get('Namespace.v1/shop')?.metadata.annotations).toEqual({
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
    });
  });

  it('writes no Namespace when the manifest says namespaces are managed elsewhere, or for built-in ones', async () => {
    const files = renderManifest({
      app: 'web',
      env: 'staging',
      namespace: 'shop',
      createNamespace: false,
      chart,
    });
    expect(files.map((f) => f.name)).toEqual(['helmrelease.yaml', 'helmrepository.yaml']);
    await assertFluxApplies(tree({ 'staging/web': files }), ['staging/web'], {
      externalNamespaces: ['shop'],
    });
    const system = renderManifest({ app: 'web', env: 'staging', namespace: 'kube-system', chart });
    expect(system.map((f) => f.name)).toEqual(['helmrelease.yaml', 'helmrepository.yaml']);
  });

  it('does not write a second Namespace when the raw manifests define it', async () => {
    const files = renderManifest({
      app: 'web',
      env: 'staging',
      namespace: 'shop',
      chart,
      manifests: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n',
    });
    expect(files.map((f) => f.name)).toEqual([
      'helmrelease.yaml',
      'helmrepository.yaml',
      'namespace-shop.yaml',
    ]);
    expect(parse(files[2]?.content ?? '')).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop' },
    });
  });

  it('lets two apps of one environment share a namespace and apply side by side', async () => {
    const web = renderManifest({ app: 'web', env: 'staging', namespace: 'shop', chart });
    const api = renderManifest({
      app: 'api',
      env: 'staging',
      namespace: 'shop',
      manifests: deployment('api'),
    });
    await assertFluxApplies(tree({ 'staging/web': web, 'staging/api': api }), ['staging/web', 'staging/api']);
  });

  it('refuses a raw object whose namespace is not a DNS label', async () => {
    const manifests = deployment('web', '  namespace: Shop\n');
    expect(renderErrorOf(() => renderManifest({ app: 'web', env: 'staging', manifests })).message).toBe(
      'environments[staging/web].manifests[0]: metadata.namespace must be a DNS-1123 label, got "Shop"',
    );
  });

  it('agrees with kustomize on every built-in cluster-scoped kind kustomize knows', async () => {
    const kinds: [string, string, boolean][] = [
      ['v1', 'Namespace', true],
      ['v1', 'PersistentVolume', true],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole', true],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', true],
      ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', true],
      ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', true],
      ['storage.k8s.io/v1', 'StorageClass', true],
      ['scheduling.k8s.io/v1', 'PriorityClass', true],
      ['networking.k8s.io/v1', 'IngressClass', true],
      ['v1', 'ConfigMap', false],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding', false],
      ['networking.k8s.io/v1', 'Ingress', false],
    ];
    const manifests = kinds.map(([v, k], i) => `apiVersion: ${v}\nkind: ${k}\nmetadata:\n  name: n${i}\n`);
    const root = tree({ 'probe/all': [{ name: 'all.yaml', content: manifests.join('---\n') }] });
    writeFileSync(join(root, 'probe/all/kustomization.yaml'), 'resources: [all.yaml]\nnamespace: probe\n');
    const namespaced = new Set(
      (await buildLikeFlux(root, 'probe/all'))
        .filter((o) => o.metadata.namespace === 'probe')
        .map((o) => o.kind),
    );
    for (const [apiVersion, kind, clusterScoped] of kinds) {
      expect({ kind, clusterScoped: isClusterScoped(apiVersion, kind) }).toEqual({ kind, clusterScoped });
      expect({ kind, namespaced: namespaced.has(kind) }).toEqual({ kind, namespaced: !clusterScoped });
    }
  });
});

describe('patches with a chart and raw objects', () => {
  const manifest: Manifest = {
    app: 'web',
    env: 'staging',
    namespace: 'shop',
    chart,
    manifests: [deployment('worker'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n'].join(
      '---\n',
    ),
    strategicMergePatches: [
      // matches the raw Deployment
      deployment('worker').replace('replicas: 1', 'replicas: 4'),
      // matches nothing raw: the chart's own Deployment
      deployment('web').replace('replicas: 1', 'replicas: 2'),
    ].join('---\n'),
    json6902Patches: [
      {
        patch: '- op: add\n  path: /metadata/labels\n  value: {team: shop}\n',
        target: { kind: 'Deployment|ConfigMap' },
      },
    ],
  };

  it("patches raw objects through the folder's kustomization and chart output through the post-renderer", async () => {
    // Act
    const files = renderManifest(manifest);
    const objects = await built(files);
    // Assess
    expect(files.map((f) => f.name)).toEqual([
      'configmap-settings.yaml',
      'deployment-worker.yaml',
      'helmrelease.yaml',
      'helmrepository.yaml',
      'kustomization.yaml',
      'namespace-shop.yaml',
    ]);
    expect(objects.get('Deployment.apps/v1/shop/worker')).toMatchObject({
      metadata: { labels: { team: 'shop' } },
      spec: { replicas: 4 },
    });
    expect(objects.get('ConfigMap.v1/shop/settings')).toMatchObject({
      metadata: { labels: { team: 'shop' } },
    });
    // Ferry's own objects are never patched by the raw objects' patches.
    expect(objects.get('HelmRelease.helm.toolkit.fluxcd.io/v2/shop/web')?.metadata).not.toHaveProperty(
      'labels',
    );
    const release = objects.get('HelmRelease.helm.toolkit.fluxcd.io/v2/shop/web') as unknown as {
      spec: { postRenderers: { kustomize: { patches: { patch: string; target?: unknown }[] } }[] };
    };
    const chartPatches = release.spec.postRenderers[0]?.kustomize.patches ?? [];
    expect(chartPatches.map((p) => parse(p.patch))).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } },
      [{ op: 'add', path: '/metadata/labels', value: { team: 'shop' } }],
    ]);
    expect(chartPatches[1]?.target).toEqual({ kind: 'Deployment|ConfigMap' });
  });

  it('refuses a patch that matches nothing when there is no chart, naming it', async () => {
    const raw = { ...manifest, chart: undefined };
    expect(renderErrorOf(() => renderManifest(raw)).message).toBe(
      'environments[staging/web].strategicMergePatches[1]: matches no object in manifests (Deployment web)',
    );
    const json = {
      app: 'web',
      env: 'staging',
      manifests: deployment('worker'),
      json6902Patches: [{ patch: '[]', target: { kind: 'Service' } }],
    };
    expect(renderErrorOf(() => renderManifest(json)).message).toBe(
      'environments[staging/web].json6902Patches[0].target: matches no object in manifests (kind=Service)',
    );
  });
});

describe('previews', () => {
  const pr = (branch: string) =>
    artifact({ event: 'pr', branch }, [
      {
        app: 'web',
        env: 'preview',
        namespace: 'shop',
        preview: true,
        chart,
        values: { ingress: { host: 'web.preview.acme.dev' } },
        manifests: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{ .APP }}-settings"\n',
      },
    ]);

  it('renames the app inside the manifest and rewrites the ingress host, as Gimlet does', async () => {
    // Prepare
    const parsed = parseArtifact(pr('feature/x'));
    // Act
    const files = renderTarget(parsed, 'preview', 'web-feature-x');
    // Assess
    const objects = await built(files);
    expect(objects.get('HelmRelease.helm.toolkit.fluxcd.io/v2/shop/web-feature-x')).toMatchObject({
      spec: {
        releaseName: 'web-feature-x',
        chart: { spec: { sourceRef: { kind: 'HelmRepository', name: 'web-feature-x' } } },
        values: { ingress: { host: 'web-feature-x.preview.acme.dev' } },
      },
    });
    expect(objects.has('HelmRepository.source.toolkit.fluxcd.io/v1/shop/web-feature-x')).toBe(true);
    expect(objects.has('ConfigMap.v1/shop/web-feature-x-settings')).toBe(true);
  });

  it('builds two open pull requests of one app side by side', async () => {
    const a = renderTarget(parseArtifact(pr('feature/a')), 'preview', 'web-feature-a');
    const b = renderTarget(parseArtifact(pr('feature/b')), 'preview', 'web-feature-b');
    const root = tree({ 'preview/web-feature-a': a, 'preview/web-feature-b': b });
    await assertFluxApplies(root, ['preview/web-feature-a', 'preview/web-feature-b']);
  });

  it('keeps a templated ingress host working: the domain starts at the first dot outside {{ }}', async () => {
    const raw = pr('feature/x');
    raw.environments[0].values.ingress.host = '{{ .APP }}.preview.acme.dev';
    const target = selectTarget(parseArtifact(raw), 'preview');
    expect(target.manifest.values).toEqual({ ingress: { host: 'web-feature-x.preview.acme.dev' } });
  });

  it("drops Gimlet's -preview suffix from the app name", async () => {
    const raw = pr('fix');
    raw.environments[0].app = 'web-preview';
    expect(selectTarget(parseArtifact(raw), 'preview').app).toBe('web-fix');
  });
});

describe('names and charts refused when the artifact is shipped', () => {
  const errorOf = (raw: unknown) => {
    try {
      parseArtifact(raw);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as Error).message;
    }
    throw new Error('expected a validation error');
  };

  it.each(['flux-system', 'flux'])('refuses an app named %s', async (app) => {
    expect(errorOf(artifact({}, [{ app, env: 'staging', chart }]))).toBe(
      `environments[0].app: "${app}" is reserved: Flux uses <env>/flux/ and <env>/flux-system/`,
    );
  });

  it('refuses a preview whose rendered name is reserved', async () => {
    const raw = parseArtifact(
      artifact({ event: 'pr', branch: 'system' }, [{ app: 'flux-preview', env: 'p', preview: true, chart }]),
    );
    expect(() => selectTarget(raw, 'p')).toThrow(
      'app: "flux-system" is reserved for p/flux-system/, Flux\'s own controllers; choose another app name',
    );
  });

  it('refuses a git-hosted chart naming the field', async () => {
    const raw = artifact({}, [
      { app: 'web', env: 'staging', chart: { name: 'https://github.com/acme/charts.git?path=/charts/web' } },
    ]);
    expect(errorOf(raw)).toBe(
      'environments[0].chart.name: git charts are not supported; publish the chart to a Helm or OCI repository and set chart.repository',
    );
  });

  it('reads createNamespace as a boolean', async () => {
    expect(errorOf(artifact({}, [{ app: 'web', env: 'staging', chart, createNamespace: 'no' }]))).toBe(
      'environments[0].createNamespace: must be a boolean, got string',
    );
  });
});
