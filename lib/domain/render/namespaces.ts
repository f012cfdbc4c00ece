import { objectFile, type RenderedFile } from './files.ts';

/** Where a manifest without `namespace` deploys, as in Gimlet. */
export const DEFAULT_NAMESPACE = 'default';

/**
 * The built-in cluster-scoped kinds by API group (Kubernetes API reference, v1.32): such an object never
 * gets a namespace. Every other kind, custom kinds included, is treated as namespaced, as kustomize does;
 * a namespace Ferry adds to a custom cluster-scoped object is ignored by the API server (controller-runtime
 * drops it for cluster-scoped kinds), while a missing one fails Flux's dry-run
 * (fluxcd/pkg ssa/errors: "namespace not specified").
 */
const CLUSTER_SCOPED: Record<string, readonly string[]> = {
  '': ['Namespace', 'Node', 'PersistentVolume', 'ComponentStatus'],
  'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
  'apiextensions.k8s.io': ['CustomResourceDefinition'],
  'apiregistration.k8s.io': ['APIService'],
  'admissionregistration.k8s.io': [
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'MutatingAdmissionPolicy',
    'MutatingAdmissionPolicyBinding',
  ],
  'storage.k8s.io': ['StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'VolumeAttributesClass'],
  'scheduling.k8s.io': ['PriorityClass'],
  'node.k8s.io': ['RuntimeClass'],
  'networking.k8s.io': ['IngressClass', 'IPAddress', 'ServiceCIDR'],
  'certificates.k8s.io': ['CertificateSigningRequest', 'ClusterTrustBundle'],
  'flowcontrol.apiserver.k8s.io': ['FlowSchema', 'PriorityLevelConfiguration'],
  policy: ['PodSecurityPolicy'],
  'resource.k8s.io': ['DeviceClass', 'ResourceSlice'],
};

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → `` (core). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function isClusterScoped(apiVersion: string, kind: string): boolean {
  return CLUSTER_SCOPED[groupOf(apiVersion)]?.includes(kind) ?? false;
}

/**
 * Namespaces that exist in every cluster Flux runs in; Ferry writes no Namespace for them. `flux-system`
 * belongs to `flux bootstrap`, whose prune would fight an app's copy.
 */
const EXISTING = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'flux-system']);

/** Flux's per-object opt-out of garbage collection (kustomize-controller docs, spec/v1 "Prune"). */
export const PRUNE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/prune';

/**
 * One Namespace object per namespace the folder's objects use and nothing else creates, annotated so that
 * deleting one app never deletes a namespace another app shares: every app using a namespace writes the
 * same object, which server-side apply merges, and no app's garbage collection removes it. Namespaces the
 * raw manifests define themselves, and those in `EXISTING`, are left out.
 */
export function namespaceFiles(used: Iterable<string>, defined: ReadonlySet<string>): RenderedFile[] {
  return [...new Set(used)]
    .filter((ns) => !EXISTING.has(ns) && !defined.has(ns))
    .sort()
    .map((name) =>
      objectFile(namespaceFileName(name), {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, annotations: { [PRUNE_ANNOTATION]: 'disabled' } },
      }),
    );
}

export function namespaceFileName(name: string): string {
  return `namespace-${name}.yaml`;
}
