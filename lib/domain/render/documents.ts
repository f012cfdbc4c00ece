import { parseAllDocuments, stringify } from 'yaml';
import { isDnsLabel } from '../names.ts';
import { compact, isPlainObject, join } from '../validate.ts';
import { RenderError } from './errors.ts';
import { isClusterScoped } from './namespaces.ts';

/** One Kubernetes object from a multi-document YAML string, with its text as the author wrote it. */
export interface KubernetesDocument {
  apiVersion: string;
  kind: string;
  name: string;
  /** metadata.namespace as written, or as Ferry set it. */
  namespace?: string;
  text: string;
}

/**
 * Splits multi-document YAML into Kubernetes objects. Empty documents are skipped; anything else that is
 * not a mapping with apiVersion, kind and metadata.name fails naming its index (`manifests[2]`), because
 * Flux fails the whole environment on one such document. With `namespace`, a namespaced object without
 * one gets it (Flux's dry-run refuses a namespaced object without a namespace).
 */
export function kubernetesDocuments(text: string, path: string, namespace?: string): KubernetesDocument[] {
  const objects: KubernetesDocument[] = [];
  // Big integers stay exact: re-serialised text must mean what the author wrote.
  parseAllDocuments(text, { intAsBigInt: true }).forEach((doc, i) => {
    const at = join(path, i);
    const [error] = doc.errors;
    if (error) throw new RenderError(`${at}: is not valid YAML: ${error.message.split('\n')[0]}`);
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (cause) {
      throw new RenderError(`${at}: cannot be read: ${(cause as Error).message}`, { cause });
    }
    if (value === null || value === undefined) return;
    const metadata = isPlainObject(value) ? value.metadata : undefined;
    const name = isPlainObject(metadata) ? metadata.name : undefined;
    if (!isPlainObject(value) || !nonEmpty(value.apiVersion) || !nonEmpty(value.kind) || !nonEmpty(name)) {
      throw new RenderError(`${at}: is not a Kubernetes object (needs apiVersion, kind and metadata.name)`);
    }
    let objectNamespace = isPlainObject(metadata) ? metadata.namespace : undefined;
    if (objectNamespace !== undefined && objectNamespace !== null && !isDnsLabel(String(objectNamespace))) {
      throw new RenderError(
        `${at}: metadata.namespace must be a DNS-1123 label, got ${JSON.stringify(objectNamespace)}`,
      );
    }
    if (!objectNamespace && namespace !== undefined && !isClusterScoped(value.apiVersion, value.kind)) {
      doc.setIn(['metadata', 'namespace'], namespace);
      objectNamespace = namespace;
    }
    // The author's own formatting, comments and scalar styles are kept; only a leading `---` goes.
    const body = doc.toString({ directives: false, lineWidth: 0 });
    objects.push(
      compact({
        apiVersion: value.apiVersion,
        kind: value.kind,
        name,
        namespace: objectNamespace ? String(objectNamespace) : undefined,
        text: withNewline(body),
      }),
    );
  });
  return objects;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * YAML for objects Ferry generates. Keys are sorted so equal input always gives equal bytes (no spurious
 * commits when a CI serialises values in another order). YAML 1.1 output because Flux and kubectl read
 * YAML 1.1: strings such as `on`, `yes` or `0777` get quoted instead of turning into booleans and numbers.
 */
export function toYaml(value: unknown): string {
  return stringify(value, {
    version: '1.1',
    sortMapEntries: true,
    lineWidth: 0,
    aliasDuplicateObjects: false,
  });
}
