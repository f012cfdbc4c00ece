import { ValidationError } from './errors.ts';
import { FLUX_DIR, type FluxSettings, fluxName } from './flux-layout.ts';
import { isDnsLabel } from './names.ts';

/** The folder `<env>/flux/`: an app name no release may use. */
export const SCAFFOLD_APP = FLUX_DIR;

/** The Secret (namespace flux-system) the user creates with the HMAC key under `token`. */
export const DEFAULT_HMAC_SECRET = 'ferry-flux-hmac';

/** The Secret with the gitops repository's credentials (`username`/`password`) the GitRepository reads. */
export const DEFAULT_GIT_SECRET = 'ferry-gitops-auth';

export interface Scaffold {
  /** The flux-events Function URL; `env=<env>` is added to it. */
  eventsUrl: string;
  /** The entry Kustomization that applies `./<env>/flux`; its own events reach the env Alert. */
  kustomization: string;
  namespace: string;
  /** The Secret with the HMAC key. */
  secretName: string;
  /**
   * An existing GitRepository to read (`flux-system` after `flux bootstrap --path=<env>/flux`). When set,
   * Ferry writes no GitRepository nor entry Kustomization: the bootstrap already applies `<env>/flux`.
   */
  source?: string;
  /** The gitops repository and branch the GitRepository Ferry writes points at (no credentials). */
  repoUrl?: string;
  branch?: string;
  /** The Secret with the git credentials the GitRepository Ferry writes refers to. */
  gitSecret?: string;
}

function absoluteUrl(value: string, field: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError(`${field}: "${value}" is not an absolute URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ValidationError(`${field}: must be ${protocols.map((p) => p.slice(0, -1)).join(' or ')}`);
  }
  if (url.username || url.password || url.searchParams.has('access_token')) {
    throw new ValidationError(
      `${field}: must not carry credentials; ${
        field === 'url' ? 'Flux signs events with the HMAC key' : 'Flux reads them from the git Secret'
      }`,
    );
  }
  return url;
}

/** A branch name git accepts in a ref (git check-ref-format's rules that matter for a branch). */
function isBranch(value: string): boolean {
  const controlOrSpace = [...value].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f);
  return (
    value.length > 0 &&
    value.length <= 255 &&
    !controlOrSpace &&
    !/[~^:?*[\\]|\.\.|@\{|\/\/|^[/.-]|[/.]$|\.lock$/.test(value)
  );
}

/** Validates `ferry env init` options; URLs must be absolute and carry no credentials. */
export function parseScaffold(input: {
  env: string;
  eventsUrl: string | undefined;
  kustomization?: string | undefined;
  namespace?: string | undefined;
  secretName?: string | undefined;
  source?: string | undefined;
  repoUrl?: string | undefined;
  branch?: string | undefined;
  gitSecret?: string | undefined;
}): Scaffold {
  if (!input.eventsUrl) {
    throw new ValidationError(
      'url: no Flux events URL is configured for this install; pass the flux-events Function URL',
    );
  }
  const url = absoluteUrl(input.eventsUrl, 'url', ['http:', 'https:']);
  const name = (value: string | undefined, fallback: string, field: string) => {
    const v = value ?? fallback;
    if (!isDnsLabel(v)) throw new ValidationError(`${field}: "${v}" is not a DNS-1123 label`);
    return v;
  };
  const scaffold: Scaffold = {
    eventsUrl: url.toString(),
    kustomization: '',
    namespace: name(input.namespace, 'flux-system', 'namespace'),
    secretName: name(input.secretName, DEFAULT_HMAC_SECRET, 'secretName'),
  };
  if (input.kustomization !== undefined) name(input.kustomization, '', 'kustomization');
  if (input.source !== undefined) {
    scaffold.source = name(input.source, '', 'source');
    scaffold.kustomization = name(input.kustomization, 'flux-system', 'kustomization');
    return scaffold;
  }
  if (!input.repoUrl) {
    throw new ValidationError(
      'repoUrl: no gitops repository URL is known; pass it, or name an existing GitRepository as source',
    );
  }
  // source-controller's GitRepository accepts http, https and ssh URLs (CRD pattern ^(http|https|ssh)://).
  scaffold.repoUrl = absoluteUrl(input.repoUrl, 'repoUrl', ['http:', 'https:', 'ssh:']).toString();
  const branch = input.branch ?? 'main';
  if (!isBranch(branch)) throw new ValidationError(`branch: "${branch}" is not a git branch name`);
  scaffold.branch = branch;
  scaffold.gitSecret = name(input.gitSecret, DEFAULT_GIT_SECRET, 'gitSecret');
  scaffold.kustomization = name(input.kustomization, fluxName(`ferry-${input.env}`), 'kustomization');
  return scaffold;
}

/** What the per-app files of `<env>` need from these settings (`<env>/flux/ferry.json`). */
export function scaffoldSettings(env: string, scaffold: Scaffold): FluxSettings {
  return {
    namespace: scaffold.namespace,
    source: scaffold.source ?? scaffold.kustomization,
    provider: fluxName(`ferry-${env}`),
    entry: scaffold.kustomization,
  };
}
