import { type ArtifactInput, parseArtifact } from '../domain/artifact.ts';
import { failureReason, ValidationError } from '../domain/errors.ts';
import { RenderError } from '../domain/render/errors.ts';
import type { RenderedFile } from '../domain/render/index.ts';
import { renderFiles } from '../domain/render-target.ts';
import { type Target, templateVars } from '../domain/targets.ts';
import type { Manifests } from './ports.ts';

/**
 * What one app's rendered files may weigh, JSON-encoded: what one synchronous Lambda invocation can answer
 * (6 MB, Lambda quotas "Invocation payload (request and response)") with room for the envelope. Held in
 * process too, so the local stack and AWS accept the same artifacts. Kubernetes itself keeps an object
 * under about 1.5 MiB (etcd's request limit), so an app over this is not one a cluster could apply.
 */
export const MAX_RENDERED_BYTES = 5 * 1024 * 1024;

function carried(target: Pick<Target, 'env' | 'app'>, files: RenderedFile[]): RenderedFile[] {
  const bytes = Buffer.byteLength(JSON.stringify(files));
  if (bytes > MAX_RENDERED_BYTES) {
    throw new RenderError(
      `environments[${target.env}/${target.app}]: renders ${bytes} bytes of files; an app may render at most ${MAX_RENDERED_BYTES}`,
    );
  }
  return files;
}

/**
 * A target's files from the artifact it came from: its variables are the artifact's plus `APP`, as every
 * target's are (lib/domain/targets.ts), derived here rather than taken from the target, so the process and
 * invoke-render (which gets the target without them) read exactly the same inputs.
 */
function renderOf(artifact: ArtifactInput, target: Omit<Target, 'vars'>): RenderedFile[] {
  const vars = { ...templateVars(artifact), APP: target.app };
  return carried(target, renderFiles({ ...target, vars }));
}

/** Checking and rendering in this process: the local stack, the tests and the stream-policy consumer. */
export const inProcessManifests: Manifests = {
  parseArtifact: async (body) => parseArtifact(body),
  render: async (artifact, { vars: _fromArtifact, ...target }) => renderOf(artifact, target),
};

/**
 * What the API functions send `invoke-render` (one synchronous invocation per call). A target travels
 * without its variables, which invoke-render derives from the artifact as the caller did (every target's
 * variables are the artifact's plus `APP`): resolved variables can run to megabytes, the artifact cannot
 * (a body is at most 1 MiB), so a request stays under the 6 MB an invocation carries.
 */
export type ManifestsCall =
  | { op: 'parseArtifact'; body: unknown }
  | { op: 'render'; artifact: ArtifactInput; target: Omit<Target, 'vars'> };

/**
 * What `invoke-render` answers: the value; the refusal of the input, which the caller turns back into the
 * same 400; or the failure of pure code that will fail the same way again (a bug, a RangeError), which the
 * caller treats as the in-process code would (a 500, a policy decision recorded invalid). Only a failed
 * invocation (throttle, timeout, crash of the runtime) is left to be retried.
 */
export type ManifestsAnswer =
  | { ok: ArtifactInput | RenderedFile[] }
  | { refused: string }
  | { failed: string };

export async function answerManifests(call: ManifestsCall): Promise<ManifestsAnswer> {
  try {
    switch (call?.op) {
      case 'parseArtifact':
        return { ok: await inProcessManifests.parseArtifact(call.body) };
      case 'render':
        return { ok: renderOf(call.artifact, call.target) };
      default:
        return { failed: `invoke-render: unknown op ${JSON.stringify((call as { op?: unknown })?.op)}` };
    }
  } catch (error) {
    // RenderError extends ValidationError: both are the input's fault (400).
    if (error instanceof ValidationError) return { refused: error.message };
    return { failed: failureReason(error) };
  }
}
