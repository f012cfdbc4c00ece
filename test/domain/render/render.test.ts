import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { Manifest } from '../../../lib/domain/manifest.ts';
import { type RenderedFile, renderManifest } from '../../../lib/domain/render/index.ts';
import { renderErrorOf } from './render-error.ts';

const chart = { repository: 'https://chart.onechart.dev', name: 'onechart', version: '0.73.0' };

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
`;

const service = `# the public face
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: 80}]
`;

function byName(files: RenderedFile[]): Record<string, unknown> {
  return Object.fromEntries(files.map((f) => [f.name, parse(f.content)]));
}

const errorOf = (manifest: Manifest) => renderErrorOf(() => renderManifest(manifest)).message;

describe('renderManifest with a chart', () => {
  it('writes a HelmRelease and its own HelmRepository', () => {
    // Prepare
    const manifest: Manifest = {
      app: 'web',
      env: 'staging',
      namespace: 'shop',
      chart,
      values: { image: { tag: 'ea8ab1a' }, replicas: 2 },
    };
    // Act
    const files = renderManifest(manifest);
    // Assess
    expect(files.map((f) => f.name)).toEqual([
      'helmrelease.yaml',
      'helmrepository.yaml',
      'namespace-shop.yaml',
    ]);
    expect(byName(files)).toEqual({
      'namespace-shop.yaml': {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'shop', annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } },
      },
      'helmrelease.yaml': {
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          interval: '5m',
          releaseName: 'web',
          chart: {
            spec: {
              chart: 'onechart',
              version: '0.73.0',
              sourceRef: { kind: 'HelmRepository', name: 'web' },
            },
          },
          values: { image: { tag: 'ea8ab1a' }, replicas: 2 },
        },
      },
      'helmrepository.yaml': {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'HelmRepository',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { interval: '5m', url: 'https://chart.onechart.dev' },
      },
    });
  });

  it('defaults the namespace and marks an OCI repository', () => {
    const files = renderManifest({
      app: 'api',
      env: 'prod',
      chart: { repository: 'oci://ghcr.io/acme/charts', name: 'api' },
    });
    const objects = byName(files);
    expect(objects['helmrepository.yaml']).toMatchObject({
      metadata: { name: 'api', namespace: 'default' },
      spec: { url: 'oci://ghcr.io/acme/charts', type: 'oci' },
    });
    expect(objects['helmrelease.yaml']).toMatchObject({ metadata: { namespace: 'default' } });
    expect(objects['helmrelease.yaml']).not.toHaveProperty('spec.chart.spec.version');
    expect(objects['helmrelease.yaml']).not.toHaveProperty('spec.values');
  });

  it('hands both kinds of patches to a kustomize post-renderer', () => {
    const files = renderManifest({
      app: 'web',
      env: 'staging',
      chart,
      strategicMergePatches: `${deployment}---\n`,
      json6902Patches: [
        {
          patch: '- op: add\n  path: /metadata/labels/team\n  value: shop\n',
          target: { kind: 'Service', name: 'web' },
        },
      ],
    });
    expect(byName(files)['helmrelease.yaml']).toMatchObject({
      spec: {
        postRenderers: [
          {
            kustomize: {
              patches: [
                { patch: deployment },
                {
                  patch: '- op: add\n  path: /metadata/labels/team\n  value: shop\n',
                  target: { kind: 'Service', name: 'web' },
                },
              ],
            },
          },
        ],
      },
    });
  });

  it('writes raw manifests next to the HelmRelease without a kustomization when nothing patches them', () => {
    const files = renderManifest({
      app: 'web',
      env: 'staging',
      chart,
      manifests: deployment,
      strategicMergePatches: service,
    });
    expect(files.map((f) => f.name)).toEqual([
      'deployment-web.yaml',
      'helmrelease.yaml',
      'helmrepository.yaml',
    ]);
    expect(byName(files)['helmrelease.yaml']).toMatchObject({
      spec: {
        postRenderers: [{ kustomize: { patches: [{ patch: expect.stringContaining('kind: Service') }] } }],
      },
    });
  });

  it.each([
    ['git@github.com:acme/charts.git', 'git charts are not supported'],
    [
      'https://github.com/laszlocph/onechart.git?branch=master&path=/charts/onechart/',
      'publish the chart to a Helm or OCI repository',
    ],
  ])('refuses the git chart %s', (name, message) => {
    expect(errorOf({ app: 'web', env: 'staging', chart: { name } })).toContain(message);
  });

  it('refuses a chart without a repository', () => {
    expect(errorOf({ app: 'web', env: 'staging', chart: { name: 'onechart' } })).toBe(
      'environments[staging/web].chart.repository: is required: Flux installs charts from a Helm or OCI repository',
    );
  });
});

describe('renderManifest with raw manifests', () => {
  it('writes one file per object, skipping empty documents and keeping the author text', () => {
    const files = renderManifest({
      app: 'web',
      env: 'staging',
      manifests: `---\n${deployment}---\n---\n${service}`,
    });
    expect(files.map((f) => f.name)).toEqual(['deployment-web.yaml', 'service-web.yaml']);
    expect(files[0]?.content).toBe(
      deployment.replace('  name: web\n', '  name: web\n  namespace: default\n'),
    );
    expect(files[1]?.content).toContain('# the public face');
    expect(parse(files[1]?.content ?? '')).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { ports: [{ port: 80 }] },
    });
  });

  it('gives duplicate and unsafe names distinct, safe file names', () => {
    const object = (kind: string, name: string) =>
      `apiVersion: v1\nkind: ${kind}\nmetadata:\n  name: "${name}"\n`;
    const files = renderManifest({
      app: 'web',
      env: 'staging',
      manifests: [
        object('ConfigMap', 'cfg'),
        object('ConfigMap', 'cfg'),
        object('ClusterRole', 'system:Auth'),
        object('ConfigMap', '../../etc/passwd'),
        object('HelmRelease', '...'),
      ].join('---\n'),
    });
    expect(files.map((f) => f.name)).toEqual([
      'clusterrole-system-auth.yaml',
      'configmap-cfg-2.yaml',
      'configmap-cfg.yaml',
      'configmap-etc-passwd.yaml',
      'helmrelease-2.yaml',
    ]);
  });

  it('applies patches through a kustomization that lists every object', () => {
    // Prepare
    const manifest: Manifest = {
      app: 'web',
      env: 'staging',
      manifests: `${deployment}---\n${service}`,
      strategicMergePatches:
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n',
      json6902Patches: [
        { patch: '- op: remove\n  path: /spec/ports\n', target: { kind: 'Service', name: 'web' } },
      ],
    };
    // Act
    const files = renderManifest(manifest);
    // Assess
    expect(files.map((f) => f.name)).toEqual([
      'deployment-web.yaml',
      'kustomization.yaml',
      'service-web.yaml',
    ]);
    expect(byName(files)['kustomization.yaml']).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      metadata: { name: 'web' },
      resources: ['deployment-web.yaml', 'service-web.yaml'],
      patches: [
        {
          patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n',
          target: { group: 'apps', version: 'v1', kind: 'Deployment', name: 'web', namespace: 'default' },
        },
        {
          patch: '- op: remove\n  path: /spec/ports\n',
          target: { version: 'v1', kind: 'Service', name: 'web', namespace: 'default' },
        },
      ],
    });
  });

  it('names the document that is not a Kubernetes object', () => {
    const manifests = `${deployment}---\napiVersion: v1\nkind: ConfigMap\ndata: {}\n`;
    expect(errorOf({ app: 'web', env: 'staging', manifests })).toBe(
      'environments[staging/web].manifests[1]: is not a Kubernetes object (needs apiVersion, kind and metadata.name)',
    );
    expect(errorOf({ app: 'web', env: 'staging', manifests: '- a\n- b\n' })).toContain(
      'manifests[0]: is not a Kubernetes object',
    );
  });

  it('refuses a JSON 6902 patch that selects nothing', () => {
    const manifest: Manifest = {
      app: 'web',
      env: 'staging',
      manifests: deployment,
      json6902Patches: [{ patch: '- op: remove\n  path: /spec\n', target: {} }],
    };
    expect(errorOf(manifest)).toContain('json6902Patches[0].target: must select');
  });

  it('refuses raw manifests without a single object', () => {
    expect(errorOf({ app: 'web', env: 'staging', manifests: '---\n# nothing\n' })).toContain(
      'needs a chart or at least one Kubernetes object',
    );
  });
});

describe('renderManifest output', () => {
  const manifest: Manifest = {
    app: 'web',
    env: 'staging',
    chart,
    values: { z: 1, a: { on: 'on', y: 'yes', mode: '0777' } },
    manifests: `${service}---\n${deployment}`,
  };

  it('is the same bytes whatever the key order of the values', () => {
    const reordered = { ...manifest, values: { a: { mode: '0777', y: 'yes', on: 'on' }, z: 1 } };
    expect(renderManifest(reordered)).toEqual(renderManifest(manifest));
  });

  it('writes only named Kubernetes objects, in files with safe names and a trailing newline', () => {
    for (const file of renderManifest(manifest)) {
      expect(file.name).toMatch(/^[a-z0-9][a-z0-9.-]*\.yaml$/);
      expect(file.content.endsWith('\n')).toBe(true);
      for (const doc of parseAllDocuments(file.content)) {
        expect(doc.toJS()).toMatchObject({
          apiVersion: expect.any(String),
          kind: expect.any(String),
          metadata: { name: expect.any(String) },
        });
      }
    }
  });

  it('quotes strings that YAML 1.1 readers such as Flux would take for booleans or numbers', () => {
    const release = renderManifest(manifest).find((f) => f.name === 'helmrelease.yaml');
    expect(release?.content).toContain('"on": "on"');
    expect(release?.content).toContain('"y": "yes"');
    expect(release?.content).toContain('mode: "0777"');
  });
});
