import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments, stringify } from 'yaml';

/**
 * The test tier's judge of a gitops tree: would Flux apply it? It does what kustomize-controller does
 * for each path a Flux Kustomization builds, then checks what the API server's dry-run would refuse.
 *
 * - Build: fluxcd/pkg `kustomize/kustomize_generator.go` (findOrGenerateKustomization, scanManifests):
 *   a path with its own kustomization file is built as is; otherwise a kustomization is generated that
 *   lists every `.yaml`/`.yml` under the path, recursively, except that a sub-directory with its own
 *   kustomization file is one resource and is not descended into. The build is `kubectl kustomize`.
 * - Flux kinds validate against the CRD schemas in test/fixtures/flux-crds (README there names the commit).
 * - No duplicate object ids in one build (kustomize refuses them too); an id in two builds of one
 *   environment (`<env>/…`, one cluster per environment) is two Kustomizations fighting over one object, allowed only for identical Namespaces marked
 *   `kustomize.toolkit.fluxcd.io/prune: disabled` (what Ferry writes per app).
 * - Every namespaced object has metadata.namespace (fluxcd/pkg ssa/errors: "namespace not specified").
 *   Which kinds are namespaced is kustomize's own judgement (its built-in OpenAPI data): the objects are
 *   built once more under a probe `namespace:` and the kinds that take it are namespaced.
 * - Every namespace used is created by a Namespace in the same build, or exists without it
 *   (`externalNamespaces`, default: Kubernetes' own and flux-system).
 */

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface FluxBuild {
  path: string;
  objects: K8sObject[];
}

export interface FluxApplyOptions {
  /** Namespaces that exist without these builds creating them. */
  externalNamespaces?: string[];
}

export const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'flux-system'];
const PRUNE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/prune';
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const PROBE_NAMESPACE = 'flux-oracle-probe';
const execFileAsync = promisify(execFile);
const CRD_DIR = new URL('../fixtures/flux-crds/', import.meta.url);

/** Builds each path (relative to `root`) like kustomize-controller and returns every problem found. */
export async function fluxProblems(
  root: string,
  paths: string[],
  options: FluxApplyOptions = {},
): Promise<string[]> {
  const problems: string[] = [];
  const results = await inParallel(paths, async (path) => {
    try {
      return { path, objects: await buildLikeFlux(root, path) };
    } catch (error) {
      return `${path}: ${(error as Error).message.trim()}`;
    }
  });
  const builds: FluxBuild[] = [];
  for (const result of results) {
    if (typeof result === 'string') problems.push(result);
    else builds.push(result);
  }
  const namespaced = await namespacedKinds(builds.flatMap((b) => b.objects));
  const external = new Set(options.externalNamespaces ?? BUILTIN_NAMESPACES);
  const owners = new Map<string, { path: string; object: K8sObject }>();
  for (const { path, objects } of builds) {
    const seen = new Set<string>();
    const created = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
    for (const object of objects) {
      const id = objectId(object);
      if (seen.has(id)) problems.push(`${path}: duplicate object id ${id}`);
      seen.add(id);
      // One cluster per environment: builds of different environments never meet.
      const key = `${environmentOf(path)} ${id}`;
      const other = owners.get(key);
      if (other && other.path !== path && !sharedNamespace(other.object, object)) {
        problems.push(
          `${path}: ${id} is also applied by ${other.path}; two Kustomizations would fight over it`,
        );
      }
      owners.set(key, { path, object });
      problems.push(...schemaProblems(object).map((p) => `${path}: ${id}: ${p}`));
      const namespace = object.metadata.namespace;
      if (namespaced.has(kindOf(object))) {
        if (!namespace) problems.push(`${path}: ${id}: namespace not specified`);
        else if (!created.has(namespace) && !external.has(namespace)) {
          problems.push(`${path}: ${id}: namespace "${namespace}" is not created by this build`);
        }
      }
    }
  }
  return problems;
}

/** Throws a readable report when Flux would not apply one of `paths`; returns the builds otherwise. */
export async function assertFluxApplies(
  root: string,
  paths: string[],
  options: FluxApplyOptions = {},
): Promise<void> {
  const problems = await fluxProblems(root, paths, options);
  if (problems.length > 0) {
    throw new Error(`Flux would not apply this gitops tree:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * The paths Flux builds in a Ferry tree: one Kustomization per app folder (`<env>/<app>`, including
 * `<env>/flux`), plus the path of every Flux Kustomization the tree itself declares. `folders` are where
 * environments live (FERRY_GITOPS_REPOS `path`; '' for the root): a folder's own first segments are not
 * environments of the root.
 */
export function fluxPaths(root: string, folders: string[] = ['']): string[] {
  const paths = new Set<string>();
  for (const folder of folders) {
    const at = (name: string) => (folder ? `${folder}/${name}` : name);
    for (const env of existing(join(root, folder))) {
      if (folders.some((other) => other !== folder && `${other}/`.startsWith(`${at(env)}/`))) continue;
      for (const app of directories(join(root, folder, env))) paths.add(at(`${env}/${app}`));
    }
  }
  for (const path of declaredPaths(root)) paths.add(path);
  return [...paths].sort();
}

function existing(dir: string): string[] {
  return existsSync(dir) ? directories(dir) : [];
}

// Builds by content: the same folder in many clones of one test run is built once.
const buildCache = new Map<string, K8sObject[]>();

/** kustomize-controller's build of one path: generated kustomization when there is none, then kustomize. */
export async function buildLikeFlux(root: string, path: string): Promise<K8sObject[]> {
  const source = join(root, path);
  if (!existsSync(source) || !statSync(source).isDirectory()) throw new Error('kustomization path not found');
  const key = contentHash(source);
  const cached = buildCache.get(key);
  if (cached) return structuredClone(cached);
  const objects = await buildFresh(source);
  buildCache.set(key, objects);
  return structuredClone(objects);
}

function contentHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(at, entry.name);
      hash.update(`${relative(dir, full)}\0${entry.isDirectory() ? 'd' : 'f'}\0`);
      if (entry.isDirectory()) walk(full);
      else hash.update(readFileSync(full)).update('\0');
    }
  };
  walk(dir);
  return hash.digest('hex');
}

async function buildFresh(source: string): Promise<K8sObject[]> {
  const work = mkdtempSync(join(tmpdir(), 'flux-oracle-'));
  try {
    cpSync(source, work, { recursive: true });
    if (!KUSTOMIZATION_FILES.some((f) => existsSync(join(work, f)))) {
      const resources = scanManifests(work, work);
      const generated =
        resources.length > 0
          ? { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }
          : {
              apiVersion: 'kustomize.config.k8s.io/v1beta1',
              kind: 'Kustomization',
              namespace: '_placeholder',
            };
      writeFileSync(join(work, 'kustomization.yaml'), stringify(generated));
    }
    return await kustomize(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function scanManifests(base: string, dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (KUSTOMIZATION_FILES.some((f) => existsSync(join(full, f)))) found.push(`./${relative(base, full)}`);
      else found.push(...scanManifests(base, full));
    } else if (/\.ya?ml$/.test(entry.name)) {
      found.push(`./${relative(base, full)}`);
    }
  }
  return found;
}

async function kustomize(dir: string): Promise<K8sObject[]> {
  let out: string;
  try {
    // Asynchronous: the local stack's HTTP server shares this event loop and must keep answering.
    out = (await execFileAsync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 1 << 28 }))
      .stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message);
    throw new Error(`kustomize build failed: ${stderr.replaceAll(dir, '.')}`);
  }
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/**
 * The kinds kustomize's built-in OpenAPI data treats as namespaced (custom kinds count as namespaced): one
 * object per kind is built under a probe namespace. Namespace itself is left out (kustomize renames it).
 * Kinds newer than kustomize's bundled schema (ValidatingAdmissionPolicy, IPAddress, …) count as namespaced.
 */
async function namespacedKinds(objects: K8sObject[]): Promise<Set<string>> {
  const kinds = new Map(
    objects.filter((o) => !(o.kind === 'Namespace' && o.apiVersion === 'v1')).map((o) => [kindOf(o), o]),
  );
  if (kinds.size === 0) return new Set();
  const work = mkdtempSync(join(tmpdir(), 'flux-oracle-probe-'));
  try {
    const probes = [...kinds.values()].map((o, i) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: { name: `probe-${i}` },
    }));
    writeFileSync(join(work, 'all.yaml'), probes.map((o) => stringify(o)).join('---\n'));
    writeFileSync(
      join(work, 'kustomization.yaml'),
      stringify({ resources: ['all.yaml'], namespace: PROBE_NAMESPACE }),
    );
    return new Set(
      (await kustomize(work)).filter((o) => o.metadata.namespace === PROBE_NAMESPACE).map(kindOf),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `work` over `items`, a few at a time, results in the order of `items`. */
async function inParallel<T, R>(items: T[], work: (item: T) => Promise<R>, limit = 4): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function environmentOf(path: string): string {
  return path.split('/')[0] ?? path;
}

function sharedNamespace(a: K8sObject, b: K8sObject): boolean {
  return (
    a.kind === 'Namespace' &&
    a.metadata.annotations?.[PRUNE_ANNOTATION] === 'disabled' &&
    JSON.stringify(a) === JSON.stringify(b)
  );
}

export function objectId(object: K8sObject): string {
  const ns = object.metadata?.namespace;
  return `${kindOf(object)}/${ns ? `${ns}/` : ''}${object.metadata?.name}`;
}

function kindOf(object: K8sObject): string {
  return `${object.kind}.${object.apiVersion}`;
}

function directories(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** `spec.path` of every Flux Kustomization found in the tree's YAML files. */
function declaredPaths(root: string): string[] {
  const paths: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry.name)) {
        for (const doc of parseAllDocuments(readFileSync(full, 'utf8'))) {
          const o = doc.toJS() as Partial<K8sObject> | null;
          const spec = o?.spec as { path?: unknown } | undefined;
          if (
            o?.kind === 'Kustomization' &&
            String(o.apiVersion).startsWith('kustomize.toolkit.fluxcd.io/')
          ) {
            if (typeof spec?.path === 'string')
              paths.push(spec.path.replace(/^\.\//, '').replace(/\/+$/, '') || '.');
          }
        }
      }
    }
  };
  walk(root);
  return paths;
}

// --- Flux CRD schemas -------------------------------------------------------------------------------

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Schema problems of a Flux object; other kinds are not judged here. */
export function schemaProblems(object: K8sObject): string[] {
  const group = String(object.apiVersion).split('/')[0] ?? '';
  if (!group.endsWith('.toolkit.fluxcd.io')) return [];
  const validate = validators.get(kindOf(object));
  if (!validate)
    return [`no Flux CRD schema fixture for ${kindOf(object)} (add it to test/fixtures/flux-crds)`];
  const { status: _status, ...desired } = object;
  if (validate(desired)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${paramsOf(e.params)}`);
}

function paramsOf(params: Record<string, unknown>): string {
  const extra = params.additionalProperty ?? params.allowedValues ?? params.pattern;
  return extra === undefined ? '' : ` (${JSON.stringify(extra)})`;
}

// Compiled when the module loads, before a test starts its stack: compiling takes a second or two of
// synchronous work, which must not stall the in-process HTTP server mid-test.
const validators = loadValidators();

function loadValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  // Kubernetes' integer formats; the API server checks their range.
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  const map = new Map<string, ValidateFunction>();
  for (const file of readdirSync(CRD_DIR).filter((f) => f.endsWith('.json'))) {
    const crd = JSON.parse(readFileSync(new URL(file, CRD_DIR), 'utf8'));
    map.set(
      `${crd.kind}.${crd.group}/${crd.version}`,
      ajv.compile(structural(crd.openAPIV3Schema) as object),
    );
  }
  return map;
}

/**
 * A structural schema prunes unknown fields; the oracle refuses them instead (a typo Flux would silently
 * drop is a bug in what Ferry writes), except where the schema preserves unknown fields.
 */
function structural(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(structural);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'properties' ? mapValues(value as Record<string, unknown>) : structural(value);
  }
  const s = schema as Record<string, unknown>;
  if (s.properties && s.additionalProperties === undefined && !s['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

function mapValues(properties: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, structural(v)]));
}
