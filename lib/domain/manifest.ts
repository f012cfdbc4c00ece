import { parseAllDocuments } from 'yaml';
import { GIT_EVENTS, type GitEvent } from './git-refs.ts';
import { hasTemplate, isDnsLabelTemplate, isReservedAppName, RESERVED_APP_NAMES } from './names.ts';
import { type JsonSchema, nullable, object, readFields } from './schema.ts';
import {
  compact,
  invalid,
  type JsonObject,
  join,
  oneOf,
  optionalArray,
  optionalBoolean,
  optionalObject,
  optionalString,
  requiredString,
  unsupported,
} from './validate.ts';

const YAML_LIMIT = 512 * 1024;

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
  /**
   * Ferry's own field (Gimlet has none; its decoder ignores it): `false` when the namespaces this app uses
   * are managed elsewhere, so Ferry writes no Namespace object for them. Default true.
   */
  createNamespace?: boolean;
  deploy?: DeployPolicy;
  cleanup?: CleanupPolicy;
  preview?: boolean;
  chart?: Chart;
  values?: JsonObject;
  manifests?: string;
  strategicMergePatches?: string;
  json6902Patches?: Json6902Patch[];
}

const str = (description: string, maxLength?: number): JsonSchema =>
  nullable({ type: 'string', description, ...(maxLength ? { maxLength } : {}) });
const NAME = 'a DNS-1123 label, or a Go template rendering to one ({{ .BRANCH | sanitizeDNSName }})';

export const DEPLOY_SCHEMA = object(
  {
    branch: str('branch name or glob (`!` negates)', 255),
    tag: str('tag name or glob (`!` negates)', 255),
    event: nullable({ type: 'string', enum: [...GIT_EVENTS, ''] }),
    commitMessagePatterns: nullable({ type: 'array', maxItems: 0, description: 'not supported' }),
  },
  { description: 'deploy policy: deploys the artifact automatically when it matches' },
);

export const CLEANUP_SCHEMA = object(
  {
    app: { type: 'string', description: `app to delete: ${NAME}` },
    event: { type: 'string', enum: ['branchDeleted'] },
    branch: { type: 'string', description: 'branch name or glob', maxLength: 255 },
  },
  { required: ['app', 'event', 'branch'], description: 'cleanup policy: deletes a preview app' },
);

export const CHART_SCHEMA = object(
  {
    repository: str('Helm repository URL', 1024),
    name: str('chart name, or a git URL containing .git', 1024),
    version: str('chart version', 255),
  },
  { description: 'Helm chart; all-empty (as Gimlet clients send it) means none' },
);

export const JSON6902_SCHEMA = object(
  {
    patch: { type: 'string', description: 'JSON 6902 patch (YAML)' },
    target: object({
      group: str('API group'),
      version: str('API version'),
      kind: str('kind'),
      name: str('object name'),
      namespace: str('namespace'),
    }),
  },
  { required: ['patch', 'target'] },
);

export const TENANT_SCHEMA = object(
  { name: { type: 'string', maxLength: 0, description: 'must be empty: Ferry has no tenants' } },
  { description: 'sent empty by gimlet CLI cli-v0.22.0 to cli-v0.27.0; ignored' },
);

/** A manifest (`.gimlet/<env>.yaml`), as `environments[]` of an artifact. */
export const MANIFEST_SCHEMA = object(
  {
    app: { type: 'string', description: NAME },
    env: { type: 'string', description: NAME },
    namespace: str('Kubernetes namespace (DNS-1123 label)', 63),
    createNamespace: nullable({
      type: 'boolean',
      description: 'false: the namespace is managed elsewhere, Ferry writes no Namespace object (Ferry only)',
    }),
    deploy: nullable(DEPLOY_SCHEMA),
    cleanup: nullable(CLEANUP_SCHEMA),
    preview: nullable({ type: 'boolean', description: 'a preview app: deploys only for pr events' }),
    chart: nullable(CHART_SCHEMA),
    values: nullable({ type: 'object', description: 'Helm values (templated)' }),
    manifests: str('raw Kubernetes YAML (templated)', YAML_LIMIT),
    strategicMergePatches: str('strategic merge patches (YAML)', YAML_LIMIT),
    json6902Patches: nullable({ type: 'array', items: JSON6902_SCHEMA }),
    dependencies: nullable({ type: 'array', maxItems: 0, description: 'not supported' }),
    tenant: nullable(TENANT_SCHEMA),
  },
  { required: ['app', 'env'], description: 'needs chart.name or manifests' },
);

type ManifestField = keyof Manifest | 'dependencies' | 'tenant';

export function parseManifest(value: unknown, path: string): Manifest {
  const f = readFields<ManifestField>(MANIFEST_SCHEMA, value, path);
  const at = (key: string) => join(path, key);
  const namespace = optionalString(f.namespace, at('namespace'), 63);
  const manifest = compact<Manifest>({
    app: appName(f.app, at('app')),
    env: dnsLabel(f.env, at('env')),
    namespace: namespace === undefined ? undefined : dnsLabel(namespace, at('namespace')),
    createNamespace: optionalBoolean(f.createNamespace, at('createNamespace')),
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
  // A preview deploys only for pull requests: with a push or tag rule it could never fire.
  if (manifest.preview === true && manifest.deploy) {
    const { event, tag } = manifest.deploy;
    if ((event !== undefined && event !== 'pr') || tag !== undefined) {
      invalid(
        at('deploy'),
        `${tag !== undefined ? 'deploy.tag' : `event ${event}`} can never fire with preview: true (previews deploy only for pr events); use event: pr or drop preview`,
      );
    }
  }
  if (!manifest.chart && manifest.manifests === undefined) {
    invalid(path, 'needs a chart (chart.name) or raw manifests');
  }
  return manifest;
}

function appName(value: unknown, path: string): string {
  const app = dnsLabel(value, path);
  if (isReservedAppName(app)) {
    invalid(
      path,
      `"${app}" is reserved: Flux uses ${RESERVED_APP_NAMES.map((n) => `<env>/${n}/`).join(' and ')}`,
    );
  }
  return app;
}

/**
 * gimlet CLI cli-v0.22.0 to cli-v0.27.0 send `"tenant":{}` in every manifest (`dx.Manifest.Tenant` is a
 * struct, which Go's `omitempty` never drops). Ferry has no tenants: the empty one is accepted and ignored,
 * a named one is refused rather than silently dropped.
 */
function emptyTenant(value: unknown, path: string): void {
  const tenant = optionalObject(value, path);
  if (!tenant) return;
  const f = readFields<'name'>(TENANT_SCHEMA, tenant, path);
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
  const f = readFields<'branch' | 'tag' | 'event' | 'commitMessagePatterns'>(DEPLOY_SCHEMA, object, path);
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
  const f = readFields<'app' | 'event' | 'branch'>(CLEANUP_SCHEMA, object, path);
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
  const f = readFields<'repository' | 'name' | 'version'>(CHART_SCHEMA, object, path);
  const name = optionalString(f.name, join(path, 'name'), 1024);
  const repository = optionalString(f.repository, join(path, 'repository'), 1024);
  const version = optionalString(f.version, join(path, 'version'), 255);
  // Gimlet's client always sends a chart object; all-empty means "no chart".
  if (name === undefined) {
    if (repository !== undefined || version !== undefined) invalid(join(path, 'name'), 'is required');
    return undefined;
  }
  // Refused when shipped, not when deployed: Flux installs charts from Helm or OCI repositories here.
  if (isGitChart(name)) invalid(join(path, 'name'), GIT_CHART);
  return compact<Chart>({ repository, name, version });
}

export const GIT_CHART =
  'git charts are not supported; publish the chart to a Helm or OCI repository and set chart.repository';

/** Gimlet's git chart forms: `git@host:org/repo.git` and `https://host/org/repo.git?path=...`. */
export function isGitChart(name: string): boolean {
  return name.startsWith('git@') || /\.git($|[/?#])/.test(name);
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
    const f = readFields<'patch' | 'target'>(JSON6902_SCHEMA, item, itemPath);
    const targetPath = join(itemPath, 'target');
    const t = readFields(JSON6902_SCHEMA.properties?.target ?? {}, f.target, targetPath);
    const target = compact<Json6902Patch['target']>(
      Object.fromEntries(
        Object.entries(t).map(([key, v]) => [key, optionalString(v, join(targetPath, key), 253)]),
      ),
    );
    return { patch: requiredString(f.patch, join(itemPath, 'patch'), YAML_LIMIT), target };
  });
}
