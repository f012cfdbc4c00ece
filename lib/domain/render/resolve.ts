import { parseAllDocuments } from 'yaml';
import type { Chart, Json6902Patch, Manifest } from '../manifest.ts';
import { isDnsLabel } from '../names.ts';
import { compact, isPlainObject, join } from '../validate.ts';
import { RenderError } from './errors.ts';
import { type RenderBudget, renderBudget, renderTemplate } from './template.ts';

type Vars = Readonly<Record<string, string>>;

// Helm release names, and so app names, are limited to 53 characters.
const APP_LIMIT = 53;

/** How errors name a manifest: by what the artifact wrote, before rendering. */
export function manifestPath(manifest: Pick<Manifest, 'env' | 'app'>): string {
  return `environments[${manifest.env}/${manifest.app}]`;
}

/**
 * Renders every templated string of a manifest with the artifact's variables and checks what templates
 * could not be checked at the door: names are DNS-1123 labels (so `{{ .BRANCH }}` = `../x` never becomes
 * a path) and YAML text parses. `deploy` and `cleanup` are policy inputs and are left as written.
 */
export function resolveManifest(manifest: Manifest, vars: Vars): Manifest {
  const at = manifestPath(manifest);
  // One budget for every field, so many small templates cannot add up past the limits either.
  const budget = renderBudget();
  const render = (value: string, field: string) => renderTemplate(value, vars, join(at, field), budget);
  const optional = (value: string | undefined, field: string) =>
    value === undefined ? undefined : render(value, field);
  const resolved = compact<Manifest>({
    ...manifest,
    app: render(manifest.app, 'app'),
    env: render(manifest.env, 'env'),
    namespace: optional(manifest.namespace, 'namespace'),
    chart: manifest.chart && resolveChart(manifest.chart, vars, join(at, 'chart'), budget),
    values:
      manifest.values &&
      (resolveValues(manifest.values, vars, join(at, 'values'), budget) as Manifest['values']),
    manifests: optional(manifest.manifests, 'manifests'),
    strategicMergePatches: optional(manifest.strategicMergePatches, 'strategicMergePatches'),
    json6902Patches: manifest.json6902Patches?.map((p, i) =>
      resolveJson6902(p, vars, join(join(at, 'json6902Patches'), i), budget),
    ),
  });
  checkResolved(resolved, at);
  return resolved;
}

function resolveChart(chart: Chart, vars: Vars, path: string, budget: RenderBudget): Chart {
  const render = (value: string | undefined, key: string) =>
    value === undefined ? undefined : renderTemplate(value, vars, join(path, key), budget);
  return compact<Chart>({
    repository: render(chart.repository, 'repository'),
    name: renderTemplate(chart.name, vars, join(path, 'name'), budget),
    version: render(chart.version, 'version'),
  });
}

/** String leaves only: keys, numbers and booleans are data, not templates. */
function resolveValues(value: unknown, vars: Vars, path: string, budget: RenderBudget): unknown {
  if (typeof value === 'string') return renderTemplate(value, vars, path, budget);
  if (Array.isArray(value)) return value.map((item, i) => resolveValues(item, vars, join(path, i), budget));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, resolveValues(v, vars, join(path, key), budget)]),
    );
  }
  return value;
}

function resolveJson6902(
  patch: Json6902Patch,
  vars: Vars,
  path: string,
  budget: RenderBudget,
): Json6902Patch {
  const target = Object.fromEntries(
    Object.entries(patch.target).map(([key, v]) => [
      key,
      v === undefined ? undefined : renderTemplate(v, vars, join(join(path, 'target'), key), budget),
    ]),
  );
  return { patch: renderTemplate(patch.patch, vars, join(path, 'patch'), budget), target: compact(target) };
}

/** Names become paths and object names: checked again here because templates could not be checked earlier. */
export function checkNames(m: Pick<Manifest, 'app' | 'env' | 'namespace'>, at: string): void {
  label(m.app, join(at, 'app'), APP_LIMIT);
  label(m.env, join(at, 'env'));
  if (m.namespace !== undefined) label(m.namespace, join(at, 'namespace'));
}

function checkResolved(m: Manifest, at: string): void {
  checkNames(m, at);
  if (m.chart?.name === '') throw new RenderError(`${join(at, 'chart.name')}: is empty once rendered`);
  yaml(m.manifests, join(at, 'manifests'));
  yaml(m.strategicMergePatches, join(at, 'strategicMergePatches'));
  m.json6902Patches?.forEach((p, i) => {
    yaml(p.patch, join(join(join(at, 'json6902Patches'), i), 'patch'));
  });
}

function label(value: string, path: string, limit = 63): void {
  if (!isDnsLabel(value) || value.length > limit) {
    throw new RenderError(
      `${path}: must be a DNS-1123 label (lower-case letters, digits and '-', at most ${limit}) once rendered, got ${JSON.stringify(value)}`,
    );
  }
}

function yaml(text: string | undefined, path: string): void {
  if (text === undefined) return;
  for (const doc of parseAllDocuments(text)) {
    const [error] = doc.errors;
    if (error)
      throw new RenderError(`${path}: is not valid YAML once rendered: ${error.message.split('\n')[0]}`);
  }
}
