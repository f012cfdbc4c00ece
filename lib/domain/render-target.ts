import type { ArtifactInput } from './artifact.ts';
import { type RenderedFile, renderManifest, resolveManifest } from './render/index.ts';
import { selectTarget, type Target } from './targets.ts';

/*
 * Rendering a target's files, apart from targets.ts (which names a release's targets): this half carries
 * the YAML parser, which only the renderers load (invoke-render, the writer, stream-policy, the local stack).
 */

/** The Kubernetes files for a target; a RenderError (400) names what failed. */
export function renderFiles(target: Target): RenderedFile[] {
  return renderManifest(resolveManifest(target.manifest, target.vars));
}

export function renderTarget(artifact: ArtifactInput, env: string, app: string): RenderedFile[] {
  return renderFiles(selectTarget(artifact, env, app));
}
