import { type Chart, GIT_CHART, isGitChart, type Manifest } from '../manifest.ts';
import { compact, join } from '../validate.ts';
import { RenderError } from './errors.ts';
import { objectFile, type RenderedFile } from './files.ts';
import type { KustomizePatch } from './kustomize.ts';
import { DEFAULT_NAMESPACE } from './namespaces.ts';

export const HELM_RELEASE_FILE = 'helmrelease.yaml';
export const HELM_REPOSITORY_FILE = 'helmrepository.yaml';

// How often Flux re-checks the release for drift and the repository index for new chart versions;
// a new commit is applied on the Kustomization's own schedule, not after this interval.
const INTERVAL = '5m';

/**
 * A Flux HelmRelease and the HelmRepository it installs from.
 *
 * The HelmRepository is named `<app>` in the HelmRelease's namespace: the pair (namespace, app) already
 * identifies the HelmRelease, so two apps can never share (and fight over) one repository object, and
 * deleting `<env>/<app>` prunes both. The same namespace also keeps the `sourceRef` working when Flux
 * runs with cross-namespace references disabled (its multi-tenancy lockdown).
 */
export function helmFiles(
  manifest: Manifest,
  chart: Chart,
  patches: KustomizePatch[],
  at: string,
): RenderedFile[] {
  const repository = chartRepository(chart, join(at, 'chart'));
  const metadata = { name: manifest.app, namespace: manifest.namespace ?? DEFAULT_NAMESPACE };
  const release = {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata,
    spec: compact({
      interval: INTERVAL,
      releaseName: manifest.app,
      chart: {
        spec: compact({
          chart: chart.name,
          version: chart.version,
          sourceRef: { kind: 'HelmRepository', name: manifest.app },
        }),
      },
      values: manifest.values,
      postRenderers: patches.length > 0 ? [{ kustomize: { patches } }] : undefined,
    }),
  };
  const source = {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'HelmRepository',
    metadata,
    spec: compact({
      interval: INTERVAL,
      url: repository,
      type: repository.startsWith('oci://') ? 'oci' : undefined,
    }),
  };
  return [objectFile(HELM_RELEASE_FILE, release), objectFile(HELM_REPOSITORY_FILE, source)];
}

/**
 * GimletD cloned git charts at render time (a templated name is checked again here, once rendered); Ferry renders without I/O and Flux installs from Helm
 * repositories, so a git chart is refused with what to do instead.
 */
function chartRepository(chart: Chart, path: string): string {
  if (isGitChart(chart.name)) throw new RenderError(`${join(path, 'name')}: ${GIT_CHART}`);
  if (chart.name.includes('://')) {
    throw new RenderError(
      `${join(path, 'name')}: must be a chart name; put the repository URL in chart.repository`,
    );
  }
  if (chart.repository === undefined) {
    throw new RenderError(
      `${join(path, 'repository')}: is required: Flux installs charts from a Helm or OCI repository`,
    );
  }
  if (!/^(https?|oci):\/\//.test(chart.repository)) {
    throw new RenderError(`${join(path, 'repository')}: must be an https://, http:// or oci:// URL`);
  }
  return chart.repository;
}
