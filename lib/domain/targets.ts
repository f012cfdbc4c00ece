import type { ArtifactInput, Version } from './artifact.ts';
import { ValidationError } from './errors.ts';
import { SCAFFOLD_APP } from './flux-scaffold.ts';
import type { Manifest } from './manifest.ts';
import { hasTemplate, isDnsLabel } from './names.ts';
import { sanitizeDnsName } from './render/functions.ts';
import { type RenderedFile, renderManifest, resolveManifest } from './render/index.ts';
import { renderTemplate } from './render/template.ts';
import { resolveVars } from './render/vars.ts';

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
      const env = renderTemplate(manifest.env, vars, 'env');
      const app = renderTemplate(appName(manifest, artifact.version), vars, 'app');
      return isDnsLabel(env) && isDnsLabel(app) ? [{ env, app, manifest, vars }] : [];
    } catch {
      return [];
    }
  });
}

/** `preview: true` or a `pr` event policy: such a manifest deploys pull requests as previews. */
export function isPreview(manifest: Manifest): boolean {
  return manifest.preview === true || manifest.deploy?.event === 'pr';
}

/** A pull request's copy of an app with a literal name: `<app>-<branch>`, DNS-safe, at most 53 characters. */
export function previewName(manifest: Manifest, branch: string): string | undefined {
  if (hasTemplate(manifest.app)) return undefined;
  return sanitizeDnsName(`${manifest.app}-${branch}`);
}

/** The app a manifest names for this artifact: a pull request's preview gets its branch-derived name. */
function appName(manifest: Manifest, version: Version): string {
  if (version.event !== 'pr' || !isPreview(manifest)) return manifest.app;
  return previewName(manifest, version.branch || version.sourceBranch || '') ?? manifest.app;
}

/** One manifest's target with its names rendered; a name that does not render is a 400 naming it. */
export function manifestTarget(manifest: Manifest, vars: Record<string, string>, version?: Version): Target {
  const env = renderTemplate(manifest.env, vars, 'env');
  const app = renderTemplate(version ? appName(manifest, version) : manifest.app, vars, 'app');
  if (!isDnsLabel(env)) throw new ValidationError(`env: "${env}" is not a DNS-1123 label once rendered`);
  if (!isDnsLabel(app)) throw new ValidationError(`app: "${app}" is not a DNS-1123 label once rendered`);
  return notScaffold({ env, app, manifest, vars });
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

/** `<env>/flux/` holds the environment's Flux notification settings (`ferry env init`), never an app. */
function notScaffold(target: Target): Target {
  if (target.app === SCAFFOLD_APP) {
    throw new ValidationError(
      `app: "${SCAFFOLD_APP}" is reserved for ${target.env}/${SCAFFOLD_APP}/, the Flux notification settings`,
    );
  }
  return target;
}

/** The Kubernetes files for a target; a RenderError (400) names what failed. */
export function renderFiles(target: Target): RenderedFile[] {
  return renderManifest(resolveManifest(target.manifest, target.vars));
}

export function renderTarget(artifact: ArtifactInput, env: string, app: string): RenderedFile[] {
  return renderFiles(selectTarget(artifact, env, app));
}
