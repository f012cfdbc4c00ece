import type { Manifest } from '../manifest.ts';
import { join } from '../validate.ts';
import { kubernetesDocuments } from './documents.ts';
import { RenderError } from './errors.ts';
import { FILE_NAME, type RenderedFile, rawFiles } from './files.ts';
import { HELM_RELEASE_FILE, HELM_REPOSITORY_FILE, helmFiles } from './helm.ts';
import { KUSTOMIZATION_FILE, kustomizationFile, routePatches } from './kustomize.ts';
import { DEFAULT_NAMESPACE, namespaceFiles } from './namespaces.ts';
import { checkNames, manifestPath } from './resolve.ts';

export type { RenderedFile } from './files.ts';

/**
 * The Kubernetes objects for `<env>/<app>/` from a resolved manifest (see resolveManifest), sorted by
 * file name. Flux builds the folder on its own (one Flux Kustomization per app), so everything it needs is
 * here:
 * - a chart becomes a HelmRelease + HelmRepository named after the app, in the manifest's namespace;
 * - raw manifests become one file per object; a namespaced object without a namespace gets the manifest's;
 * - a Namespace object for each namespace used, unless the manifest says `createNamespace: false`;
 * - patches go where they apply (routePatches): chart output through the HelmRelease's post-renderer, raw
 *   objects through a kustomization.yaml that then lists every file of the folder.
 * `release.json` is the caller's.
 */
export function renderManifest(manifest: Manifest): RenderedFile[] {
  const at = manifestPath(manifest);
  checkNames(manifest, at);
  const namespace = manifest.namespace ?? DEFAULT_NAMESPACE;
  const objects =
    manifest.manifests === undefined
      ? []
      : kubernetesDocuments(manifest.manifests, join(at, 'manifests'), namespace);
  if (!manifest.chart && objects.length === 0) {
    throw new RenderError(`${at}: needs a chart or at least one Kubernetes object in manifests`);
  }
  const patches = routePatches(manifest, objects, manifest.chart !== undefined, at);
  const files: RenderedFile[] = [];
  if (manifest.chart) files.push(...helmFiles(manifest, manifest.chart, patches.chart, at));
  if (manifest.createNamespace !== false) {
    const used = objects.flatMap((o) => (o.namespace ? [o.namespace] : []));
    if (manifest.chart) used.push(namespace);
    const defined = new Set(
      objects.filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1').map((o) => o.name),
    );
    files.push(...namespaceFiles(used, defined));
  }
  const taken = new Set([
    HELM_RELEASE_FILE,
    HELM_REPOSITORY_FILE,
    KUSTOMIZATION_FILE,
    ...files.map((f) => f.name),
  ]);
  files.push(...rawFiles(objects, taken));
  if (patches.raw.length > 0) {
    files.push(
      kustomizationFile(
        manifest.app,
        files.map((f) => f.name),
        patches.raw,
      ),
    );
  }
  for (const file of files) {
    if (!FILE_NAME.test(file.name))
      throw new Error(`bug: unsafe rendered file name ${JSON.stringify(file.name)}`);
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
