import { parseAllDocuments } from 'yaml';
import { hasTemplate, isDnsLabelTemplate } from './names.ts';
import {
  compact,
  invalid,
  type JsonObject,
  join,
  knownFields,
  oneOf,
  optionalArray,
  optionalBoolean,
  optionalObject,
  optionalString,
  readObject,
  requiredString,
  unsupported,
} from './validate.ts';

export const GIT_EVENTS = ['push', 'tag', 'pr'] as const;
export type GitEvent = (typeof GIT_EVENTS)[number];

export interface DeployPolicy {
  branch?: string;
  tag?: string;
  event?: GitEvent;
}

export interface CleanupPolicy {
  app: string;
  event: 'branchDeleted';
  branch: string;
}

export interface Chart {
  repository?: string;
  name: string;
  version?: string;
}

export interface Json6902Patch {
  patch: string;
  target: { group?: string; version?: string; kind?: string; name?: string; namespace?: string };
}

/** One `.gimlet/<env>.yaml`: how an app is released to one environment. */
export interface Manifest {
  app: string;
  env: string;
  namespace?: string;
  deploy?: DeployPolicy;
  cleanup?: CleanupPolicy;
  preview?: boolean;
  chart?: Chart;
  values?: JsonObject;
  manifests?: string;
  strategicMergePatches?: string;
  json6902Patches?: Json6902Patch[];
}

const MANIFEST_FIELDS = [
  'app',
  'env',
  'namespace',
  'deploy',
  'cleanup',
  'preview',
  'chart',
  'values',
  'manifests',
  'strategicMergePatches',
  'json6902Patches',
  'dependencies',
  'tenant',
] as const;

const YAML_LIMIT = 512 * 1024;

export function parseManifest(value: unknown, path: string): Manifest {
  const f = knownFields(readObject(value, path), path, MANIFEST_FIELDS);
  const at = (key: string) => join(path, key);
  const namespace = optionalString(f.namespace, at('namespace'), 63);
  const manifest = compact<Manifest>({
    app: dnsLabel(f.app, at('app')),
    env: dnsLabel(f.env, at('env')),
    namespace: namespace === undefined ? undefined : dnsLabel(namespace, at('namespace')),
    deploy: parseDeploy(f.deploy, at('deploy')),
    cleanup: parseCleanup(f.cleanup, at('cleanup')),
    preview: optionalBoolean(f.preview, at('preview')),
    chart: parseChart(f.chart, at('chart')),
    values: optionalObject(f.values, at('values')),
    manifests: yamlText(f.manifests, at('manifests')),
    strategicMergePatches: yamlText(f.strategicMergePatches, at('strategicMergePatches')),
    json6902Patches: parseJson6902(f.json6902Patches, at('json6902Patches')),
  });
  unsupported(f.dependencies, at('dependencies'), 'provision dependencies outside Ferry');
  emptyTenant(f.tenant, at('tenant'));
  if (!manifest.chart && manifest.manifests === undefined) {
    invalid(path, 'needs a chart (chart.name) or raw manifests');
  }
  return manifest;
}

/**
 * gimlet CLI cli-v0.22.0 to cli-v0.27.0 send `"tenant":{}` in every manifest (`dx.Manifest.Tenant` is a
 * struct, which Go's `omitempty` never drops). Ferry has no tenants: the empty one is accepted and ignored,
 * a named one is refused rather than silently dropped.
 */
function emptyTenant(value: unknown, path: string): void {
  const tenant = optionalObject(value, path);
  if (!tenant) return;
  const f = knownFields(tenant, path, ['name'] as const);
  unsupported(optionalString(f.name, join(path, 'name')), join(path, 'name'), 'Ferry has no tenants');
}

function dnsLabel(value: unknown, path: string): string {
  const s = requiredString(value, path, 253);
  if (!isDnsLabelTemplate(s)) {
    invalid(path, `must be a DNS-1123 label (lower-case letters, digits and '-', at most 63), got "${s}"`);
  }
  return s;
}

function parseDeploy(value: unknown, path: string): DeployPolicy | undefined {
  const object = optionalObject(value, path);
  if (!object) return undefined;
  const f = knownFields(object, path, ['branch', 'tag', 'event', 'commitMessagePatterns'] as const);
  unsupported(f.commitMessagePatterns, join(path, 'commitMessagePatterns'), 'use branch, tag and event');
  const branch = optionalString(f.branch, join(path, 'branch'), 255);
  const tag = optionalString(f.tag, join(path, 'tag'), 255);
  const event = optionalString(f.event, join(path, 'event'));
  const deploy = compact<DeployPolicy>({
    branch,
    tag,
    event: event === undefined ? undefined : oneOf(event, join(path, 'event'), GIT_EVENTS),
  });
  if (!branch && !tag && !event) invalid(path, 'must set at least one of branch, tag, event');
  // Contradictions GimletD accepted and then silently never deployed.
  if (tag !== undefined && deploy.event !== undefined && deploy.event !== 'tag') {
    invalid(join(path, 'event'), `must be tag when deploy.tag is set, got "${deploy.event}"`);
  }
  if (branch !== undefined && deploy.event === 'tag') {
    invalid(join(path, 'event'), 'must be push or pr when deploy.branch is set, got "tag"');
  }
  return deploy;
}

function parseCleanup(value: unknown, path: string): CleanupPolicy | undefined {
  const object = optionalObject(value, path);
  if (!object) return undefined;
  const f = knownFields(object, path, ['app', 'event', 'branch'] as const);
  const event = requiredString(f.event, join(path, 'event'));
  return {
    app: dnsLabel(f.app, join(path, 'app')),
    event: oneOf(event, join(path, 'event'), ['branchDeleted'] as const),
    branch: requiredString(f.branch, join(path, 'branch'), 255),
  };
}

function parseChart(value: unknown, path: string): Chart | undefined {
  const object = optionalObject(value, path);
  if (!object) return undefined;
  const f = knownFields(object, path, ['repository', 'name', 'version'] as const);
  const name = optionalString(f.name, join(path, 'name'), 1024);
  const repository = optionalString(f.repository, join(path, 'repository'), 1024);
  const version = optionalString(f.version, join(path, 'version'), 255);
  // Gimlet's client always sends a chart object; all-empty means "no chart".
  if (name === undefined) {
    if (repository !== undefined || version !== undefined) invalid(join(path, 'name'), 'is required');
    return undefined;
  }
  return compact<Chart>({ repository, name, version });
}

function yamlText(value: unknown, path: string): string | undefined {
  const text = optionalString(value, path, YAML_LIMIT);
  // Templated YAML (`image: {{ .IMAGE }}`) is only checked after rendering.
  if (text === undefined || hasTemplate(text)) return text;
  for (const doc of parseAllDocuments(text)) {
    const [error] = doc.errors;
    if (error) invalid(path, `is not valid YAML: ${error.message.split('\n')[0]}`);
  }
  return text;
}

function parseJson6902(value: unknown, path: string): Json6902Patch[] | undefined {
  const list = optionalArray(value, path);
  if (!list || list.length === 0) return undefined;
  return list.map((item, i) => {
    const itemPath = join(path, i);
    const f = knownFields(readObject(item, itemPath), itemPath, ['patch', 'target'] as const);
    const targetPath = join(itemPath, 'target');
    const t = knownFields(readObject(f.target, targetPath), targetPath, [
      'group',
      'version',
      'kind',
      'name',
      'namespace',
    ] as const);
    const target = compact<Json6902Patch['target']>(
      Object.fromEntries(
        Object.entries(t).map(([key, v]) => [key, optionalString(v, join(targetPath, key), 253)]),
      ),
    );
    return { patch: requiredString(f.patch, join(itemPath, 'patch'), YAML_LIMIT), target };
  });
}
