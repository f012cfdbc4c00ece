/**
 * Where Ferry's Flux files live in an environment and what its Flux objects are called (flux-apps.ts says
 * why one Kustomization per app). Apart from the YAML that flux-apps.ts writes, so the functions that only
 * read these paths and names (flux-status, flux-events) carry no YAML parser.
 */

/**
 * Where `path` (`<env>/…`) lies in the repository when the environment lives in `folder` (FERRY_GITOPS_REPOS
 * `path`, e.g. `clusters/prod`; '' for the root): every path here is then under `<folder>/`, and so is every
 * Flux spec.path, which Flux reads from the repository root.
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
