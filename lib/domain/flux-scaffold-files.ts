import { stringify } from 'yaml';
import { FLUX_DIR, repoPath } from './flux-layout.ts';
import { DEFAULT_GIT_SECRET, type Scaffold, scaffoldSettings } from './flux-scaffold.ts';

/**
 * `<env>/flux/` as `ferry env init` writes it (every name in the Flux namespace):
 * - `sync.yaml` (unless an existing GitRepository is named): a GitRepository for the gitops repository
 *   (credentials only by Secret name) and the entry Kustomization applying `./<env>/flux`, as `flux
 *   bootstrap --path=<env>/flux` writes gotk-sync.yaml. It applies itself once applied by hand. No
 *   `wait`: the entry must never wait for the apps' health, or one broken app would fail it for all.
 * - `provider.yaml`: a `generic-hmac` Provider posting to Ferry with `env=<env>`; the key lives only in
 *   the Secret the user creates.
 * - `alert.yaml`: an Alert for the entry Kustomization (each app's Alert is in `apps/<app>.yaml`).
 * - `ferry.json`: these settings, read by the writer when it writes `apps/<app>.yaml`. Flux builds only
 *   `.yaml`/`.yml` files (fluxcd/pkg kustomize/kustomize_generator.go scanManifests), so it is not applied.
 * `folder` is where the environment lives in the repository ('' for the root): the entry applies
 * `./<folder>/<env>/flux`.
 */
export function scaffoldFiles(
  env: string,
  scaffold: Scaffold,
  folder = '',
): { name: string; content: string }[] {
  const address = new URL(scaffold.eventsUrl);
  address.searchParams.set('env', env);
  const settings = scaffoldSettings(env, scaffold);
  const name = settings.provider as string;
  const metadata = (n: string) => ({
    name: n,
    namespace: scaffold.namespace,
    labels: { 'app.kubernetes.io/managed-by': 'ferry', 'ferry.dev/env': env },
  });
  const provider = {
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Provider',
    metadata: metadata(name),
    spec: { type: 'generic-hmac', address: address.toString(), secretRef: { name: scaffold.secretName } },
  };
  const alert = {
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Alert',
    metadata: metadata(name),
    spec: {
      providerRef: { name },
      eventSeverity: 'info',
      eventMetadata: { env },
      eventSources: [{ kind: 'Kustomization', name: scaffold.kustomization, namespace: scaffold.namespace }],
    },
  };
  const files = [
    { name: 'provider.yaml', content: stringify(provider) },
    { name: 'alert.yaml', content: stringify(alert) },
    { name: 'ferry.json', content: `${JSON.stringify(settings, null, 2)}\n` },
  ];
  if (!scaffold.source && scaffold.repoUrl) {
    const repository = {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: metadata(settings.source),
      spec: {
        interval: '1m',
        url: scaffold.repoUrl,
        ref: { branch: scaffold.branch ?? 'main' },
        secretRef: { name: scaffold.gitSecret ?? DEFAULT_GIT_SECRET },
      },
    };
    const entry = {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: metadata(scaffold.kustomization),
      spec: {
        interval: '10m',
        path: `./${repoPath(folder, `${env}/${FLUX_DIR}`)}`,
        prune: true,
        sourceRef: { kind: 'GitRepository', name: settings.source },
      },
    };
    files.unshift({ name: 'sync.yaml', content: `${stringify(repository)}---\n${stringify(entry)}` });
  }
  return files;
}
