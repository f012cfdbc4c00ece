import type { Json6902Patch, Manifest } from '../manifest.ts';
import { compact, join } from '../validate.ts';
import { type KubernetesDocument, kubernetesDocuments } from './documents.ts';
import { RenderError } from './errors.ts';
import { objectFile, type RenderedFile } from './files.ts';
import { groupOf } from './namespaces.ts';

export type PatchTarget = Json6902Patch['target'];

/** One entry of a kustomize `patches:` list; Flux's HelmRelease post-renderer takes the same shape. */
export interface KustomizePatch {
  patch: string;
  target?: PatchTarget;
}

export const KUSTOMIZATION_FILE = 'kustomization.yaml';

/** Where each patch goes: raw objects are patched by the folder's kustomization, chart output by Helm's. */
export interface RoutedPatches {
  raw: KustomizePatch[];
  chart: KustomizePatch[];
}

/**
 * Gimlet applies both patch lists to the chart's output and the raw manifests together. Flux has two
 * places for that: the HelmRelease's post-renderer sees only the chart's output, and a kustomization.yaml
 * in the folder sees only the files. So each patch is routed:
 * - a patch that matches raw objects goes to the kustomization, once per matched object with an exact
 *   target, so it can never touch the HelmRelease, HelmRepository or Namespace Ferry writes beside them;
 * - a strategic merge patch that matches no raw object goes to the post-renderer (kustomize finds its
 *   target by the patch's own kind and name, and fails the install if the chart has no such object);
 * - a JSON 6902 patch also goes to the post-renderer whenever there is a chart, since its target selects
 *   any number of objects (none is not an error there);
 * - without a chart, a patch that matches nothing is an error naming it.
 * Target fields are regular expressions, anchored, as kustomize reads them.
 */
export function routePatches(
  manifest: Manifest,
  objects: KubernetesDocument[],
  hasChart: boolean,
  at: string,
): RoutedPatches {
  const routed: RoutedPatches = { raw: [], chart: [] };
  const strategicPath = join(at, 'strategicMergePatches');
  const strategic =
    manifest.strategicMergePatches === undefined
      ? []
      : kubernetesDocuments(manifest.strategicMergePatches, strategicPath);
  strategic.forEach((doc, i) => {
    const selector = compact<PatchTarget>({
      group: groupOf(doc.apiVersion),
      version: versionOf(doc.apiVersion),
      kind: doc.kind,
      name: literal(doc.name),
      namespace: doc.namespace === undefined ? undefined : literal(doc.namespace),
    });
    const matched = objects.filter((o) => selects(selector, o, ''));
    if (matched.length > 0) routed.raw.push(...matched.map((o) => ({ patch: doc.text, target: exact(o) })));
    else if (hasChart) routed.chart.push({ patch: doc.text });
    else
      throw new RenderError(
        `${join(strategicPath, i)}: matches no object in manifests (${doc.kind} ${doc.name})`,
      );
  });
  (manifest.json6902Patches ?? []).forEach((p, i) => {
    const path = join(join(at, 'json6902Patches'), i);
    const target = compact(Object.fromEntries(Object.entries(p.target).map(([k, v]) => [k, v || undefined])));
    if (Object.keys(target).length === 0) {
      throw new RenderError(`${join(path, 'target')}: must select the objects to patch (kind, name, …)`);
    }
    const matched = objects.filter((o) => selects(target, o, join(path, 'target')));
    routed.raw.push(...matched.map((o) => ({ patch: p.patch, target: exact(o) })));
    if (hasChart) routed.chart.push({ patch: p.patch, target });
    else if (matched.length === 0) {
      throw new RenderError(`${join(path, 'target')}: matches no object in manifests (${describe(target)})`);
    }
  });
  return routed;
}

/**
 * The folder's kustomization.yaml, written when raw objects are patched. With a kustomization file Flux
 * builds only what it lists (fluxcd/pkg kustomize_generator.go), so it lists every other file of the folder.
 * `metadata.name` keeps every `.yaml` Ferry writes a named object; kustomize accepts it.
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

/** kustomize's selector match (api/types/selector.go): every field given is an anchored regex. */
function selects(target: PatchTarget, object: KubernetesDocument, path: string): boolean {
  const fields: [keyof PatchTarget, string][] = [
    ['group', groupOf(object.apiVersion)],
    ['version', versionOf(object.apiVersion)],
    ['kind', object.kind],
    ['name', object.name],
    ['namespace', object.namespace ?? ''],
  ];
  return fields.every(([key, value]) => {
    const pattern = target[key];
    if (pattern === undefined) return true;
    try {
      return new RegExp(`^(?:${pattern})$`).test(value);
    } catch {
      throw new RenderError(
        `${join(path, key)}: is not a valid regular expression: ${JSON.stringify(pattern)}`,
      );
    }
  });
}

/** A target that selects exactly this object. */
function exact(object: KubernetesDocument): PatchTarget {
  return compact<PatchTarget>({
    group: groupOf(object.apiVersion) || undefined,
    version: versionOf(object.apiVersion),
    kind: object.kind,
    name: literal(object.name),
    namespace: object.namespace === undefined ? undefined : literal(object.namespace),
  });
}

function versionOf(apiVersion: string): string {
  return apiVersion.slice(apiVersion.indexOf('/') + 1);
}

function literal(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function describe(target: PatchTarget): string {
  return Object.entries(target)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}
