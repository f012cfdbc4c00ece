import type { Manifest } from '../manifest.ts';
import { join } from '../validate.ts';
import { kubernetesDocuments } from './documents.ts';
import { RenderError } from './errors.ts';
import { FILE_NAME, type RenderedFile, rawFiles } from './files.ts';
import { HELM_RELEASE_FILE, HELM_REPOSITORY_FILE, helmFiles } from './helm.ts';
import { collectPatches, KUSTOMIZATION_FILE, kustomizationFile } from './kustomize.ts';
import { checkNames, manifestPath } from './resolve.ts';

export type { RenderedFile } from './files.ts';

/**
 * The Kubernetes objects for `<env>/<app>/` from a resolved manifest (see resolveManifest), sorted by
 * file name. A chart becomes a HelmRelease + HelmRepository with the patches as a post-renderer; raw
 * manifests become one file per object, with a kustomization.yaml only when patches apply to them.
 * `release.json` is the caller's.
 */
export function renderManifest(manifest: Manifest): RenderedFile[] {
  const at = manifestPath(manifest);
  checkNames(manifest, at);
  const objects =
    manifest.manifests === undefined ? [] : kubernetesDocuments(manifest.manifests, join(at, 'manifests'));
  const patches = collectPatches(manifest, at);
  const files: RenderedFile[] = [];
  if (manifest.chart) {
    files.push(...helmFiles(manifest, manifest.chart, patches, at));
  } else if (objects.length === 0) {
    throw new RenderError(`${at}: needs a chart or at least one Kubernetes object in manifests`);
  }
  const raw = rawFiles(objects, new Set([HELM_RELEASE_FILE, HELM_REPOSITORY_FILE, KUSTOMIZATION_FILE]));
  files.push(...raw);
  // With a chart the patches already went to the HelmRelease's post-renderer.
  if (!manifest.chart && patches.length > 0) {
    files.push(
      kustomizationFile(
        manifest.app,
        raw.map((f) => f.name),
        patches,
      ),
    );
  }
  for (const file of files) {
    if (!FILE_NAME.test(file.name))
      throw new Error(`bug: unsafe rendered file name ${JSON.stringify(file.name)}`);
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
