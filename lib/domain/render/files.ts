import { type KubernetesDocument, toYaml } from './documents.ts';

/** A file for `<env>/<app>/`: a bare name, never a path. */
export interface RenderedFile {
  name: string;
  content: string;
}

/** What every rendered file name matches: no separators, no leading dot, Flux reads it as YAML. */
export const FILE_NAME = /^[a-z0-9][a-z0-9.-]*\.yaml$/;

// Well under the 255-byte file name limit, leaving room for a `-N` suffix.
const STEM_LIMIT = 200;

export function objectFile(name: string, object: unknown): RenderedFile {
  return { name, content: toYaml(object) };
}

/**
 * One file per raw object, `<kind>-<name>.yaml`. Names are reduced to [a-z0-9-] (a metadata.name such as
 * `system:auth` or `../x` can never shape a path); collisions, including with the files Ferry generates
 * (`taken`), get `-2`, `-3`… in document order, so the same input always gives the same names.
 */
export function rawFiles(objects: KubernetesDocument[], taken: Set<string>): RenderedFile[] {
  return objects.map((object) => {
    const name = unique(stem(`${object.kind}-${object.name}`), taken);
    taken.add(name);
    return { name, content: object.text };
  });
}

function stem(value: string): string {
  const safe = value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, STEM_LIMIT)
    .replace(/^-+|-+$/g, '');
  return safe || 'object';
}

function unique(base: string, taken: Set<string>): string {
  let name = `${base}.yaml`;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}.yaml`;
  return name;
}
