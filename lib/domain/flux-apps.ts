import { parseAllDocuments, stringify } from 'yaml';
import { appKustomizationName, type FluxSettings, repoPath } from './flux-layout.ts';

/**
 * How a cluster applies an environment: one Flux Kustomization per app, so one broken app never stops
 * the others. kustomize-controller builds a folder and server-side dry-runs every object before it
 * applies any (fluxcd/pkg ssa/manager_apply.go): one Kustomization for all of `<env>/` would let one bad
 * object stop every app, and its health check would tie every app's verdict together.
 *
 *   <env>/flux/apps/<app>.yaml   the app's Kustomization (path ./<env>/<app>) and, once `env init` has
 *                                run, an Alert for it and its HelmReleases; written beside <env>/<app>/
 *                                on every deploy and rollback, removed with it on delete
 *   <env>/flux/ferry.json        the cluster settings `env init` chose (the per-app files need them)
 *
 * The entry Kustomization applies `./<env>/flux` only, so it never depends on an app folder: deleting the
 * last app removes `<env>/<app>/` and its `apps/<app>.yaml`, and `<env>/flux/` stays for the entry to read.
 * The paths and object names are in flux-layout.ts, which needs no YAML parser; this file writes the YAML.
 */

/** Labels that let `kubectl get kustomizations -l ferry.dev/env=<env>` list an environment's apps. */
function labels(env: string, app: string): Record<string, string> {
  return { 'app.kubernetes.io/managed-by': 'ferry', 'ferry.dev/env': env, 'ferry.dev/app': app };
}

export interface ObjectRef {
  name: string;
  namespace: string;
}

/** The HelmReleases among an app's rendered files (the objects whose Helm events name the app). */
export function helmReleasesIn(files: Iterable<{ name: string; content: string }>): ObjectRef[] {
  const found = new Map<string, ObjectRef>();
  for (const file of files) {
    if (!/\.ya?ml$/.test(file.name)) continue;
    for (const doc of parseAllDocuments(file.content)) {
      const value = doc.toJS() as {
        kind?: unknown;
        apiVersion?: unknown;
        metadata?: { name?: unknown; namespace?: unknown };
      } | null;
      if (
        value?.kind !== 'HelmRelease' ||
        !String(value.apiVersion ?? '').startsWith('helm.toolkit.fluxcd.io/')
      )
        continue;
      const { name, namespace } = value.metadata ?? {};
      if (typeof name !== 'string' || typeof namespace !== 'string') continue;
      found.set(`${namespace}/${name}`, { name, namespace });
    }
  }
  return [...found.values()].sort((a, b) =>
    `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  );
}

/**
 * `<env>/flux/apps/<app>.yaml`: the app's Kustomization and, when a Provider exists, its Alert. `folder` is
 * where the environment lives in the repository ('' for the root).
 * - `prune: true`: objects removed from `<env>/<app>/` are deleted, and deleting this Kustomization (its
 *   file leaves `<env>/flux/`, the entry Kustomization prunes it) garbage-collects everything it applied
 *   (kustomize-controller docs/spec/v1/kustomizations.md "Prune", default deletionPolicy MirrorPrune).
 * - `wait: true`: health-checks every object it applied, HelmReleases by their Ready condition, so a
 *   failed Helm install ends the Kustomization `HealthCheckFailed` ("… failed early due to stalled
 *   resources: [HelmRelease/<ns>/<name> status: 'Failed']", fluxcd/pkg ssa/manager_wait.go, fail-fast on).
 * - `timeout: 10m`: the health check's limit; above helm-controller's default 5m install timeout, so
 *   a slow but healthy install is not judged failed while Helm still waits.
 * The Alert tags events with `env` and `app`, so each verdict reaches exactly this app's releases.
 */
export function appFluxFile(
  env: string,
  app: string,
  settings: FluxSettings,
  helmReleases: ObjectRef[],
  folder = '',
): string {
  const name = appKustomizationName(env, app);
  const kustomization = {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: settings.namespace, labels: labels(env, app) },
    spec: {
      interval: '10m',
      retryInterval: '1m',
      timeout: '10m',
      path: `./${repoPath(folder, `${env}/${app}`)}`,
      prune: true,
      wait: true,
      sourceRef: { kind: 'GitRepository', name: settings.source },
    },
  };
  const docs: object[] = [kustomization];
  if (settings.provider) {
    docs.push({
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Alert',
      metadata: { name, namespace: settings.namespace, labels: labels(env, app) },
      spec: {
        providerRef: { name: settings.provider },
        eventSeverity: 'info',
        eventMetadata: { env, app },
        // notification-controller matches kind, namespace and name exactly (`*` only for the name,
        // internal/server/event_handlers.go eventMatchesAlertSource), hence one source per HelmRelease.
        eventSources: [
          { kind: 'Kustomization', name, namespace: settings.namespace },
          ...helmReleases.map((h) => ({ kind: 'HelmRelease', name: h.name, namespace: h.namespace })),
        ],
      },
    });
  }
  return docs.map((d) => stringify(d)).join('---\n');
}
