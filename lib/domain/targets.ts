import type { ArtifactInput } from './artifact.ts';
import { ValidationError } from './errors.ts';
import { SCAFFOLD_APP } from './flux-scaffold.ts';
import type { Manifest } from './manifest.ts';
import { isDnsLabel } from './names.ts';
import { type RenderedFile, renderManifest, resolveManifest } from './render/index.ts';
import { renderTemplate } from './render/template.ts';

/**
 * Template variables, later sources winning: the CI context, string fields of items (Gimlet's `image`,
 * `name`, `url`), then `vars`, which the shipper fills deliberately (DESIGN.md §5).
 */
export function templateVars(artifact: ArtifactInput): Record<string, string> {
  const vars: Record<string, string> = { ...artifact.context };
  for (const item of artifact.items) {
    for (const [key, value] of Object.entries(item)) if (typeof value === 'string') vars[key] = value;
  }
  return Object.assign(vars, artifact.vars);
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
      const app = renderTemplate(manifest.app, vars, 'app');
      return isDnsLabel(env) && isDnsLabel(app) ? [{ env, app, manifest, vars }] : [];
    } catch {
      return [];
    }
  });
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
