import { parseAllDocuments, stringify } from 'yaml';

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
 *
 * An environment may live in a folder of its repository (FERRY_GITOPS_REPOS `path`, e.g. `clusters/prod`):
 * every path above is then under `<folder>/`, and so is every spec.path, which Flux reads from the
 * repository root.
 */

/**
 * Where `path` (`<env>/…`) lies in the repository when the environment lives in `folder` (FERRY_GITOPS_REPOS
 * `path`, '' for the root): Flux's spec.path values are relative to the repository root.
 */
export function repoPath(folder: string, path: string): string {
  return folder ? `${folder}/${path}` : path;
}

/** The folder `<env>/flux/` (an app name no release may use). */
export const FLUX_DIR = 'flux';

/** What the per-app objects need from the cluster side; `env init` records it in `<env>/flux/ferry.json`. */
export interface FluxSettings {
  /** Namespace of the Flux objects Ferry writes (Kustomizations, Provider, Alerts). */
  namespace: string;
  /** The GitRepository the per-app Kustomizations read. */
  source: string;
  /** The Provider posting to Ferry; undefined until `env init` has written one (then no Alerts). */
  provider?: string;
  /** The entry Kustomization applying `<env>/flux`, whose verdicts are not the apps' (see flux-status). */
  entry?: string;
}

/** Without `env init`: what `flux bootstrap` creates (GitRepository flux-system in flux-system). */
export const BOOTSTRAP_SETTINGS: FluxSettings = { namespace: 'flux-system', source: 'flux-system' };

export function settingsPath(env: string): string {
  return `${env}/${FLUX_DIR}/ferry.json`;
}

export function appFluxPath(env: string, app: string): string {
  return `${env}/${FLUX_DIR}/apps/${app}.yaml`;
}

/** Reads `<env>/flux/ferry.json`; anything unreadable falls back to flux bootstrap's names. */
export function parseSettings(text: string | undefined): FluxSettings {
  if (!text) return BOOTSTRAP_SETTINGS;
  try {
    const value = JSON.parse(text) as Partial<FluxSettings>;
    if (typeof value.namespace !== 'string' || typeof value.source !== 'string') return BOOTSTRAP_SETTINGS;
    return {
      namespace: value.namespace,
      source: value.source,
      ...(typeof value.provider === 'string' ? { provider: value.provider } : {}),
      ...(typeof value.entry === 'string' ? { entry: value.entry } : {}),
    };
  } catch {
    return BOOTSTRAP_SETTINGS;
  }
}

/**
 * kustomize-controller labels every object it applies with `kustomize.toolkit.fluxcd.io/name: <name>`
 * (SetOwnerLabels in internal/controller/kustomization_controller.go), and a label value holds at most
 * 63 characters: longer names are cut and made unique with a hash.
 */
const MAX_NAME = 63;

/** A name for a Flux object that Kustomizations label objects with: at most 63 characters. */
export function fluxName(name: string): string {
  if (name.length <= MAX_NAME) return name;
  const hash = fnv1a(name);
  const prefix = name.slice(0, MAX_NAME - hash.length - 1).replace(/[-.]+$/, '');
  return `${prefix}-${hash}`;
}

/**
 * The name of an app's Kustomization (and Alert) in the Flux namespace: `<env>.<app>`. Env and app names
 * are DNS labels, which never contain a dot, so the name is unambiguous even when several environments
 * share one cluster (`a-b` + `c` and `a` + `b-c` would both be `a-b-c` with a dash). A dotted name is a
 * valid DNS-1123 subdomain, which is all Kubernetes asks of a custom resource's name.
 */
export function appKustomizationName(env: string, app: string): string {
  return fluxName(`${env}.${app}`);
}

/** 32-bit FNV-1a as 8 hex digits: stable, and pure (no crypto module in the domain). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

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
