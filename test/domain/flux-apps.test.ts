import { afterEach, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { eventApp, type FluxEvent } from '../../lib/domain/flux.ts';
import { appFluxFile, helmReleasesIn } from '../../lib/domain/flux-apps.ts';
import {
  appFluxPath,
  appKustomizationName,
  BOOTSTRAP_SETTINGS,
  parseSettings,
} from '../../lib/domain/flux-layout.ts';
import { parseScaffold, scaffoldSettings } from '../../lib/domain/flux-scaffold.ts';
import { scaffoldFiles } from '../../lib/domain/flux-scaffold-files.ts';
import { isDnsLabel } from '../../lib/domain/names.ts';
import { buildLikeFlux, fluxPaths, fluxProblems, type K8sObject, objectId } from '../support/flux-oracle.ts';
import { treeMaker } from '../support/tree.ts';

const { tree, cleanup } = treeMaker('flux-apps-test-');
afterEach(cleanup);

const EVENTS_URL = 'https://abc.lambda-url.eu-west-1.on.aws/';
const REPO_URL = 'https://github.com/acme/gitops';

const chartFiles = (name: string, ns: string) => [
  {
    name: 'helmrelease.yaml',
    content: `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  interval: 5m
  chart:
    spec:
      chart: onechart
      sourceRef: {kind: HelmRepository, name: onechart}
`,
  },
  {
    name: 'namespace.yaml',
    content: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
  },
  { name: 'release.json', content: '{}' },
];

function objectsOf(content: string): K8sObject[] {
  return parseAllDocuments(content).map((d) => d.toJS() as K8sObject);
}

describe('env init: what a cluster needs to apply an environment and report back', () => {
  it('writes a GitRepository, the entry Kustomization, a generic-hmac Provider and an Alert that Flux accepts', () => {
    // Prepare
    const scaffold = parseScaffold({
      env: 'staging',
      eventsUrl: EVENTS_URL,
      repoUrl: REPO_URL,
      branch: 'main',
    });
    // Act
    const files = scaffoldFiles('staging', scaffold);
    // Assess
    expect(files.map((f) => f.name)).toEqual(['sync.yaml', 'provider.yaml', 'alert.yaml', 'ferry.json']);
    const byId = new Map(
      files
        .filter((f) => f.name.endsWith('.yaml'))
        .flatMap((f) => objectsOf(f.content))
        .map((o) => [objectId(o), o]),
    );
    expect([...byId.keys()].sort()).toEqual([
      'Alert.notification.toolkit.fluxcd.io/v1beta3/flux-system/ferry-staging',
      'GitRepository.source.toolkit.fluxcd.io/v1/flux-system/ferry-staging',
      'Kustomization.kustomize.toolkit.fluxcd.io/v1/flux-system/ferry-staging',
      'Provider.notification.toolkit.fluxcd.io/v1beta3/flux-system/ferry-staging',
    ]);
    const repo = byId.get('GitRepository.source.toolkit.fluxcd.io/v1/flux-system/ferry-staging');
    expect(repo?.spec).toEqual({
      interval: '1m',
      url: REPO_URL,
      ref: { branch: 'main' },
      secretRef: { name: 'ferry-gitops-auth' },
    });
    const entry = byId.get('Kustomization.kustomize.toolkit.fluxcd.io/v1/flux-system/ferry-staging');
    // The entry applies `<env>/flux` only and never waits for the apps' health.
    expect(entry?.spec).toMatchObject({ path: './staging/flux', prune: true });
    expect(entry?.spec).not.toHaveProperty('wait');
    const provider = byId.get('Provider.notification.toolkit.fluxcd.io/v1beta3/flux-system/ferry-staging');
    expect(provider?.spec).toEqual({
      type: 'generic-hmac',
      address: `${EVENTS_URL}?env=staging`,
      secretRef: { name: 'ferry-flux-hmac' },
    });
    const alert = byId.get('Alert.notification.toolkit.fluxcd.io/v1beta3/flux-system/ferry-staging');
    expect(alert?.spec).toMatchObject({
      eventMetadata: { env: 'staging' },
      eventSources: [{ kind: 'Kustomization', name: 'ferry-staging', namespace: 'flux-system' }],
    });
    expect(JSON.parse(files.find((f) => f.name === 'ferry.json')?.content ?? '')).toEqual({
      namespace: 'flux-system',
      source: 'ferry-staging',
      provider: 'ferry-staging',
      entry: 'ferry-staging',
    });
    // No secret value anywhere: only Secret names.
    expect(files.map((f) => f.content).join('\n')).not.toMatch(/token|password|username/);
  });

  it('with an existing GitRepository (flux bootstrap) writes no sync.yaml and watches flux-system', () => {
    // Prepare
    const scaffold = parseScaffold({ env: 'prod', eventsUrl: EVENTS_URL, source: 'flux-system' });
    // Act
    const files = scaffoldFiles('prod', scaffold);
    // Assess
    expect(files.map((f) => f.name)).toEqual(['provider.yaml', 'alert.yaml', 'ferry.json']);
    expect(parse(files[1]?.content ?? '').spec.eventSources).toEqual([
      { kind: 'Kustomization', name: 'flux-system', namespace: 'flux-system' },
    ]);
    expect(scaffoldSettings('prod', scaffold)).toEqual({
      namespace: 'flux-system',
      source: 'flux-system',
      provider: 'ferry-prod',
      entry: 'flux-system',
    });
  });

  it('a whole environment (init + chart apps + previews) passes the CRD schemas and builds like Flux', async () => {
    // Prepare: two environments on one cluster, each with a chart app, and two previews side by side.
    const files: Record<string, string> = {};
    for (const env of ['staging', 'preview']) {
      const scaffold = parseScaffold({ env, eventsUrl: EVENTS_URL, repoUrl: REPO_URL });
      for (const f of scaffoldFiles(env, scaffold)) files[`${env}/flux/${f.name}`] = f.content;
      const settings = scaffoldSettings(env, scaffold);
      const apps = env === 'staging' ? ['shop'] : ['shop-feature-x', 'shop-feature-y'];
      for (const app of apps) {
        const rendered = chartFiles(app, `${env}-${app}`);
        for (const f of rendered) files[`${env}/${app}/${f.name}`] = f.content;
        files[appFluxPath(env, app)] = appFluxFile(env, app, settings, helmReleasesIn(rendered));
      }
    }
    const root = tree(files);
    // Act
    const paths = fluxPaths(root);
    const problems = await fluxProblems(root, paths);
    // Assess
    expect(problems).toEqual([]);
    expect(paths).toEqual([
      'preview/flux',
      'preview/shop-feature-x',
      'preview/shop-feature-y',
      'staging/flux',
      'staging/shop',
    ]);
    const entry = (await buildLikeFlux(root, 'preview/flux')).map(objectId).sort();
    expect(entry).toEqual([
      'Alert.notification.toolkit.fluxcd.io/v1beta3/flux-system/ferry-preview',
      'Alert.notification.toolkit.fluxcd.io/v1beta3/flux-system/preview.shop-feature-x',
      'Alert.notification.toolkit.fluxcd.io/v1beta3/flux-system/preview.shop-feature-y',
      'GitRepository.source.toolkit.fluxcd.io/v1/flux-system/ferry-preview',
      'Kustomization.kustomize.toolkit.fluxcd.io/v1/flux-system/ferry-preview',
      'Kustomization.kustomize.toolkit.fluxcd.io/v1/flux-system/preview.shop-feature-x',
      'Kustomization.kustomize.toolkit.fluxcd.io/v1/flux-system/preview.shop-feature-y',
      'Provider.notification.toolkit.fluxcd.io/v1beta3/flux-system/ferry-preview',
    ]);
  });
});

describe('an environment in a folder of its repository (FERRY_GITOPS_REPOS path)', () => {
  it('points every Flux path at the folder, and the tree builds like Flux from the repository root', async () => {
    // Prepare: staging at the root, production under clusters/prod, both set up by env init.
    const files: Record<string, string> = {};
    for (const [env, folder] of [
      ['staging', ''],
      ['production', 'clusters/prod'],
    ] as const) {
      const at = (path: string) => (folder ? `${folder}/${path}` : path);
      const scaffold = parseScaffold({ env, eventsUrl: EVENTS_URL, repoUrl: REPO_URL });
      for (const f of scaffoldFiles(env, scaffold, folder)) files[at(`${env}/flux/${f.name}`)] = f.content;
      const rendered = chartFiles('shop', `${env}-shop`);
      for (const f of rendered) files[at(`${env}/shop/${f.name}`)] = f.content;
      files[at(appFluxPath(env, 'shop'))] = appFluxFile(
        env,
        'shop',
        scaffoldSettings(env, scaffold),
        helmReleasesIn(rendered),
        folder,
      );
    }
    const root = tree(files);
    // Act
    const paths = fluxPaths(root, ['', 'clusters/prod']);
    const problems = await fluxProblems(root, paths);
    // Assess: the declared spec.path values are exactly the folders Ferry wrote, and all of them build.
    expect(problems).toEqual([]);
    expect(paths).toEqual([
      'clusters/prod/production/flux',
      'clusters/prod/production/shop',
      'staging/flux',
      'staging/shop',
    ]);
    const entry = await buildLikeFlux(root, 'clusters/prod/production/flux');
    const specPaths = entry
      .filter((o) => o.kind === 'Kustomization')
      .map((o) => (o.spec as { path: string }).path)
      .sort();
    expect(specPaths).toEqual(['./clusters/prod/production/flux', './clusters/prod/production/shop']);
  });
});

describe("an app's own Kustomization", () => {
  it('applies ./<env>/<app> with prune, wait and a timeout, from the recorded source', () => {
    // Act
    const [kustomization, alert] = objectsOf(
      appFluxFile(
        'staging',
        'shop',
        { namespace: 'flux-system', source: 'ferry-staging', provider: 'ferry-staging' },
        [{ name: 'shop', namespace: 'shop' }],
      ),
    );
    // Assess
    expect(kustomization?.metadata).toMatchObject({ name: 'staging.shop', namespace: 'flux-system' });
    expect(kustomization?.spec).toEqual({
      interval: '10m',
      retryInterval: '1m',
      timeout: '10m',
      path: './staging/shop',
      prune: true,
      wait: true,
      sourceRef: { kind: 'GitRepository', name: 'ferry-staging' },
    });
    expect(alert?.spec).toEqual({
      providerRef: { name: 'ferry-staging' },
      eventSeverity: 'info',
      eventMetadata: { env: 'staging', app: 'shop' },
      eventSources: [
        { kind: 'Kustomization', name: 'staging.shop', namespace: 'flux-system' },
        { kind: 'HelmRelease', name: 'shop', namespace: 'shop' },
      ],
    });
  });

  it("without env init it reads flux bootstrap's GitRepository and writes no Alert", () => {
    const objects = objectsOf(appFluxFile('staging', 'web', parseSettings(undefined), []));
    expect(objects.map((o) => o.kind)).toEqual(['Kustomization']);
    expect(objects[0]?.spec).toMatchObject({ sourceRef: { kind: 'GitRepository', name: 'flux-system' } });
    expect(parseSettings('not json')).toEqual(BOOTSTRAP_SETTINGS);
  });

  it('has a name unique across environments and within the 63 characters of a label value', () => {
    // With a dash, staging-a + b and staging + a-b would be the same object in a shared cluster.
    expect(appKustomizationName('staging-a', 'b')).not.toBe(appKustomizationName('staging', 'a-b'));
    const env = 'e'.repeat(63);
    const long = appKustomizationName(env, 'shop');
    const other = appKustomizationName(env, 'shop2');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toBe(other);
    // A valid DNS-1123 subdomain: dot-separated labels.
    expect(long.split('.').every(isDnsLabel)).toBe(true);
    expect(appKustomizationName(`${'a'.repeat(30)}`, `${'b'.repeat(31)}x`).length).toBe(63);
  });

  it('lists the HelmReleases of the rendered files, with their namespaces', () => {
    const rendered = [
      ...chartFiles('web', 'apps'),
      {
        name: 'raw.yaml',
        content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: apps}\n',
      },
    ];
    expect(helmReleasesIn(rendered)).toEqual([{ name: 'web', namespace: 'apps' }]);
  });
});

describe('which app a Flux event is about', () => {
  const event = (kind: string, name: string, metadata: Record<string, string> = {}): FluxEvent => ({
    involvedObject: { kind, namespace: 'flux-system', name },
    severity: 'info',
    timestamp: '2026-01-01T00:00:00Z',
    message: '',
    reason: 'ReconciliationSucceeded',
    metadata,
    reportingController: 'kustomize-controller',
  });

  it.each([
    [
      'the app Alert tag',
      event('HelmRelease', 'shop-abc', { env: 'preview', app: 'shop-feature-x' }),
      'shop-feature-x',
    ],
    ["the app's Kustomization name", event('Kustomization', 'preview.shop-feature-x'), 'shop-feature-x'],
    ['the entry Kustomization', event('Kustomization', 'ferry-preview'), undefined],
    ['a whole-environment Kustomization', event('Kustomization', 'flux-system'), undefined],
    ["another environment's app", event('Kustomization', 'staging.shop-feature-x'), undefined],
    ['an app with no open release', event('Kustomization', 'preview.other'), 'other'],
  ])('reads %s', (_, e, app) => {
    expect(eventApp('preview', e, ['shop-feature-x', 'shop-feature-y'])).toBe(app);
  });
});
