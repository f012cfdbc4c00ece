import { stringify } from 'yaml';
import { ValidationError } from './errors.ts';
import { isDnsLabel } from './names.ts';

/** The folder `<env>/flux/`: an app name no release may use. */
export const SCAFFOLD_APP = 'flux';

/** The Secret (namespace flux-system) the user creates with the HMAC key under `token`. */
export const DEFAULT_HMAC_SECRET = 'ferry-flux-hmac';

export interface Scaffold {
  /** The flux-events Function URL; `env=<env>` is added to it. */
  eventsUrl: string;
  /** The Kustomization that applies this environment's folder. */
  kustomization: string;
  namespace: string;
  secretName: string;
}

/** Validates `ferry env init` options; the URL must be absolute http(s) and carry no credentials. */
export function parseScaffold(input: {
  eventsUrl: string | undefined;
  kustomization?: string | undefined;
  namespace?: string | undefined;
  secretName?: string | undefined;
}): Scaffold {
  if (!input.eventsUrl) {
    throw new ValidationError(
      'url: no Flux events URL is configured for this install; pass the flux-events Function URL',
    );
  }
  let url: URL;
  try {
    url = new URL(input.eventsUrl);
  } catch {
    throw new ValidationError(`url: "${input.eventsUrl}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValidationError('url: must be http or https');
  }
  if (url.username || url.password || url.searchParams.has('access_token')) {
    throw new ValidationError('url: must not carry credentials; Flux signs events with the HMAC key');
  }
  const name = (value: string | undefined, fallback: string, field: string) => {
    const v = value ?? fallback;
    if (!isDnsLabel(v)) throw new ValidationError(`${field}: "${v}" is not a DNS-1123 label`);
    return v;
  };
  return {
    eventsUrl: url.toString(),
    kustomization: name(input.kustomization, 'flux-system', 'kustomization'),
    namespace: name(input.namespace, 'flux-system', 'namespace'),
    secretName: name(input.secretName, DEFAULT_HMAC_SECRET, 'secretName'),
  };
}

/**
 * `<env>/flux/`: a `generic-hmac` Provider posting to Ferry with `env=<env>`, and an Alert for the
 * environment's Kustomization. The key lives only in the Secret the user creates; nothing secret is
 * written here.
 */
export function scaffoldFiles(env: string, scaffold: Scaffold): { name: string; content: string }[] {
  const address = new URL(scaffold.eventsUrl);
  address.searchParams.set('env', env);
  const name = `ferry-${env}`;
  const provider = {
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Provider',
    metadata: { name, namespace: scaffold.namespace },
    spec: { type: 'generic-hmac', address: address.toString(), secretRef: { name: scaffold.secretName } },
  };
  const alert = {
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Alert',
    metadata: { name, namespace: scaffold.namespace },
    spec: {
      providerRef: { name },
      eventSeverity: 'info',
      eventMetadata: { env },
      eventSources: [{ kind: 'Kustomization', name: scaffold.kustomization, namespace: scaffold.namespace }],
    },
  };
  return [
    { name: 'provider.yaml', content: stringify(provider) },
    { name: 'alert.yaml', content: stringify(alert) },
  ];
}
