import type { ArtifactInput, Version } from './artifact.ts';
import { ValidationError } from './errors.ts';
import { SCAFFOLD_APP } from './flux-scaffold.ts';
import type { Manifest } from './manifest.ts';
import { hasTemplate, isDnsLabel, isReservedAppName } from './names.ts';
import { sanitizeDnsName } from './render/functions.ts';
import { renderTemplate } from './render/template.ts';
import { resolveVars } from './render/vars.ts';
import { isPlainObject } from './validate.ts';

/**
 * Template variables in Gimlet's order: the CI context, string fields of items, then `vars`, later sources
 * winning, with templates inside them resolved first (vars in vars, see render/vars.ts). A variable that
 * does not resolve is a RenderError (400) naming it.
 */
export function templateVars(artifact: ArtifactInput): Record<string, string> {
  return resolveVars(artifact);
}

export interface Target {
  env: string;
  app: string;
  manifest: Manifest;
  vars: Record<string, string>;
}

/**
 * Where each manifest deploys: its env and app names rendered, and only those, so an unrelated manifest's
 * missing variable never stands in the way. A manifest whose names do not render is left out.
 */
function targetsOf(artifact: ArtifactInput, vars: Record<string, string>): Target[] {
  return artifact.environments.flatMap((manifest) => {
    try {
      return [target(manifest, vars, artifact.version)];
    } catch {
      return [];
    }
  });
}

/**
 * A target's names rendered and its manifest prepared: a pull request's preview is renamed inside the
 * manifest (Gimlet's PrepPreview), and `APP` is the app's name for this target, as Gimlet sets it, so raw
 * manifests can name their objects `{{ .APP }}` and two previews never share an object.
 */
function target(manifest: Manifest, vars: Record<string, string>, version?: Version): Target {
  const branch = version?.branch || version?.sourceBranch || '';
  const prepared =
    version?.event === 'pr' && isPreview(manifest) ? previewManifest(manifest, branch) : manifest;
  const env = renderTemplate(prepared.env, vars, 'env');
  const app = renderTemplate(prepared.app, vars, 'app');
  if (!isDnsLabel(env)) throw new ValidationError(`env: "${env}" is not a DNS-1123 label once rendered`);
  if (!isDnsLabel(app)) throw new ValidationError(`app: "${app}" is not a DNS-1123 label once rendered`);
  return { env, app, manifest: { ...prepared, app }, vars: { ...vars, APP: app } };
}

/** `preview: true` or a `pr` event policy: such a manifest deploys pull requests as previews. */
export function isPreview(manifest: Manifest): boolean {
  return manifest.preview === true || manifest.deploy?.event === 'pr';
}

/**
 * A pull request's copy of an app with a literal name: `<app>-<branch>`, DNS-safe, at most 53 characters.
 * Like Gimlet's PrepPreview, a `-preview` suffix is dropped first (`web-preview` previews as `web-<branch>`).
 */
export function previewName(manifest: Manifest, branch: string): string | undefined {
  if (hasTemplate(manifest.app)) return undefined;
  return sanitizeDnsName(`${manifest.app.replace(/-preview$/, '')}-${branch}`);
}

/**
 * Gimlet's PrepPreview (gimlet-io/gimlet pkg/dx/manifest.go, gimlet-v1.0.0-beta.18): the app is renamed
 * inside the manifest, so the HelmRelease, its release name and its HelmRepository are the preview's own,
 * and `values.ingress.host` becomes `<preview app>` + the host from its first dot (`web.example.com` →
 * `web-feature-x.example.com`); a host without a dot is left alone. A templated app name is the preview's
 * own name already (it carries the branch). Gimlet's `gitBranch` value is not added: a chart whose values
 * schema forbids unknown keys would refuse it.
 */
export function previewManifest(manifest: Manifest, branch: string): Manifest {
  const app = previewName(manifest, branch) ?? manifest.app;
  const ingress = manifest.values?.ingress;
  const host = isPlainObject(ingress) ? ingress.host : undefined;
  const dot = typeof host === 'string' ? domainStart(host) : -1;
  if (!isPlainObject(ingress) || typeof host !== 'string' || dot < 0) return { ...manifest, app };
  const values = { ...manifest.values, ingress: { ...ingress, host: `${app}${host.slice(dot)}` } };
  return { ...manifest, app, values };
}

/** The first dot of a host outside `{{ … }}` (`{{ .APP }}.acme.dev` → the dot before `acme`), or -1. */
function domainStart(host: string): number {
  let inside = false;
  for (let i = 0; i < host.length; i++) {
    if (host.startsWith('{{', i)) inside = true;
    else if (host.startsWith('}}', i)) inside = false;
    else if (host[i] === '.' && !inside) return i;
  }
  return -1;
}

/** One manifest's target with its names rendered; a name that does not render is a 400 naming it. */
export function manifestTarget(manifest: Manifest, vars: Record<string, string>, version?: Version): Target {
  return notScaffold(target(manifest, vars, version));
}

/**
 * The manifest an artifact releases to `env`: the named app's, or the only one it has there. Anything else
 * is a 400 that lists what the artifact does carry.
 */
export function selectTarget(artifact: ArtifactInput, env: string, app?: string): Target {
  const targets = targetsOf(artifact, templateVars(artifact));
  const inEnv = targets.filter((t) => t.env === env);
  const carried = targets.map((t) => `${t.env}/${t.app}`).join(', ') || 'none';
  if (app !== undefined) {
    const named = inEnv.find((t) => t.app === app);
    if (named) return notScaffold(named);
    throw new ValidationError(`app: the artifact has no manifest for ${env}/${app}; it carries ${carried}`);
  }
  const [only, ...others] = inEnv;
  if (!only) throw new ValidationError(`env: the artifact has no manifest for ${env}; it carries ${carried}`);
  if (others.length > 0) {
    throw new ValidationError(
      `app: the artifact has several apps for ${env} (${inEnv.map((t) => t.app).join(', ')}); name one`,
    );
  }
  return notScaffold(only);
}

/**
 * `<env>/flux/` holds what `ferry env init` writes and `flux-system` is `flux bootstrap`'s own folder: never
 * an app, whether named so by the manifest or by a preview's branch (`flux` + branch `system`).
 */
function notScaffold(target: Target): Target {
  if (isReservedAppName(target.app)) {
    const owner =
      target.app === SCAFFOLD_APP ? 'the Flux settings ferry env init writes' : "Flux's own controllers";
    throw new ValidationError(
      `app: "${target.app}" is reserved for ${target.env}/${target.app}/, ${owner}; choose another app name`,
    );
  }
  return target;
}
