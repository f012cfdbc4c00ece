import { afterEach, describe, expect, it } from 'vitest';
import { buildLikeFlux, fluxPaths, fluxProblems, objectId } from '../support/flux-oracle.ts';
import { treeMaker } from '../support/tree.ts';

const { tree, cleanup } = treeMaker('oracle-test-');
afterEach(cleanup);

const namespace = (name: string, prune = true) => `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
${prune ? '' : '  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n'}`;

const helmRelease = (name: string, ns: string, extra = '') => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  interval: 5m
  chart:
    spec:
      chart: onechart
      sourceRef: {kind: HelmRepository, name: ${name}}
${extra}`;

const configMap = (name: string, ns?: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}`;

describe('the Flux oracle', () => {
  it('builds a folder like kustomize-controller: every yaml below it, a kustomization folder as one unit', async () => {
    // Prepare
    const root = tree({
      'staging/web/a.yaml': configMap('a', 'default'),
      'staging/web/deep/b.yml': configMap('b', 'default'),
      'staging/web/release.json': '{}',
      'staging/web/unit/kustomization.yaml': 'resources: [c.yaml]\n',
      'staging/web/unit/c.yaml': configMap('c', 'default'),
      'staging/web/unit/not-listed.yaml': configMap('d', 'default'),
    });
    // Act
    const objects = await buildLikeFlux(root, 'staging/web');
    // Assess
    expect(objects.map(objectId).sort()).toEqual([
      'ConfigMap.v1/default/a',
      'ConfigMap.v1/default/b',
      'ConfigMap.v1/default/c',
    ]);
  });

  it('accepts a valid tree and lists one path per app folder', async () => {
    const root = tree({
      'staging/web/namespace.yaml': namespace('shop', false),
      'staging/web/helmrelease.yaml': helmRelease('web', 'shop'),
      'staging/api/namespace.yaml': namespace('shop', false),
      'staging/api/helmrelease.yaml': helmRelease('api', 'shop'),
    });
    expect(fluxPaths(root)).toEqual(['staging/api', 'staging/web']);
    expect(await fluxProblems(root, fluxPaths(root))).toEqual([]);
  });

  it('reports duplicate ids, missing and unknown namespaces, and schema errors', async () => {
    const root = tree({
      'preview/web-a/helmrelease.yaml': helmRelease('web', 'shop', '  bogus: true\n'),
      'preview/web-b/helmrelease.yaml': helmRelease('web', 'shop'),
      'preview/web-b/cm.yaml': configMap('settings'),
      'preview/web-b/ns.yaml': namespace('shop', false),
    });
    const problems = await fluxProblems(root, ['preview']);
    expect(problems.join('\n')).toContain('may not add resource with an already registered id');
    const perApp = await fluxProblems(root, ['preview/web-a', 'preview/web-b']);
    expect(perApp).toEqual([
      'preview/web-a: HelmRelease.helm.toolkit.fluxcd.io/v2/shop/web: /spec must NOT have additional properties ("bogus")',
      'preview/web-a: HelmRelease.helm.toolkit.fluxcd.io/v2/shop/web: namespace "shop" is not created by this build',
      'preview/web-b: ConfigMap.v1/settings: namespace not specified',
      'preview/web-b: HelmRelease.helm.toolkit.fluxcd.io/v2/shop/web is also applied by preview/web-a; two Kustomizations would fight over it',
    ]);
  });

  it('lets two builds share a Namespace only when pruning it is disabled', async () => {
    const root = tree({
      'staging/web/ns.yaml': namespace('shop'),
      'staging/api/ns.yaml': namespace('shop'),
    });
    expect(await fluxProblems(root, fluxPaths(root))).toEqual([
      'staging/web: Namespace.v1/shop is also applied by staging/api; two Kustomizations would fight over it',
    ]);
  });

  it('knows cluster-scoped kinds from kustomize and accepts namespaces managed elsewhere', async () => {
    const root = tree({
      'staging/ops/role.yaml':
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n',
      'staging/ops/cm.yaml': configMap('settings', 'platform'),
    });
    expect(await fluxProblems(root, ['staging/ops'], { externalNamespaces: ['platform'] })).toEqual([]);
  });

  it('says when a path Flux would build is missing', async () => {
    const root = tree({ 'staging/web/cm.yaml': configMap('a', 'default') });
    expect(await fluxProblems(root, ['staging/gone'])).toEqual([
      'staging/gone: kustomization path not found',
    ]);
  });
});
