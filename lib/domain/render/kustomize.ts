import type { Json6902Patch, Manifest } from '../manifest.ts';
import { join } from '../validate.ts';
import { kubernetesDocuments } from './documents.ts';
import { RenderError } from './errors.ts';
import { objectFile, type RenderedFile } from './files.ts';

export type PatchTarget = Json6902Patch['target'];

/** One entry of a kustomize `patches:` list; Flux's HelmRelease post-renderer takes the same shape. */
export interface KustomizePatch {
  patch: string;
  target?: PatchTarget;
}

export const KUSTOMIZATION_FILE = 'kustomization.yaml';

/**
 * Gimlet's two patch lists as kustomize `patches` entries. Strategic merge patches carry no target:
 * kustomize finds it from the patch's own apiVersion, kind and metadata.name, so each must have them.
 * A JSON 6902 patch without a target would be applied to every object, so an empty target is refused.
 */
export function collectPatches(manifest: Manifest, at: string): KustomizePatch[] {
  const strategic =
    manifest.strategicMergePatches === undefined
      ? []
      : kubernetesDocuments(manifest.strategicMergePatches, join(at, 'strategicMergePatches')).map((doc) => ({
          patch: doc.text,
        }));
  const json6902 = (manifest.json6902Patches ?? []).map((p, i) => {
    const target = Object.fromEntries(Object.entries(p.target).filter(([, v]) => v)) as PatchTarget;
    if (Object.keys(target).length === 0) {
      const path = join(join(join(at, 'json6902Patches'), i), 'target');
      throw new RenderError(`${path}: must select the objects to patch (kind, name, …)`);
    }
    return { patch: p.patch, target };
  });
  return [...strategic, ...json6902];
}

/**
 * Patches for raw manifests. Flux's kustomize-controller includes a sub-directory that has its own
 * kustomization.yaml as one unit (it does not also read the files inside), so the patched objects are
 * applied once. `metadata.name` keeps every `.yaml` Ferry writes a named object; kustomize accepts it.
 */
export function kustomizationFile(app: string, resources: string[], patches: KustomizePatch[]): RenderedFile {
  return objectFile(KUSTOMIZATION_FILE, {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    metadata: { name: app },
    resources: [...resources].sort(),
    patches,
  });
}
