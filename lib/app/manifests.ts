import type { ArtifactInput } from '../domain/artifact.ts';
import { parseArtifact } from '../domain/artifact.ts';
import { ValidationError } from '../domain/errors.ts';
import type { RenderedFile } from '../domain/render/index.ts';
import { renderFiles } from '../domain/render-target.ts';
import type { Target } from '../domain/targets.ts';
import type { Manifests } from './ports.ts';

/** Checking and rendering in this process: the local stack, the tests and the stream-policy consumer. */
export const inProcessManifests: Manifests = {
  parseArtifact: async (body) => parseArtifact(body),
  render: async (target) => renderFiles(target),
};

/** What the API functions send `invoke-render` (one synchronous invocation per call). */
export type ManifestsCall = { op: 'parseArtifact'; body: unknown } | { op: 'render'; target: Target };

/**
 * What `invoke-render` answers: the value, or the refusal the caller turns back into the same 400. Only a
 * refusal of the input is answered; anything else (a bug, a runaway template's RangeError) is thrown, so
 * Lambda reports a function error and the caller a 503 rather than blaming the input.
 */
export type ManifestsAnswer = { ok: ArtifactInput | RenderedFile[] } | { refused: string };

export async function answerManifests(call: ManifestsCall): Promise<ManifestsAnswer> {
  try {
    switch (call?.op) {
      case 'parseArtifact':
        return { ok: await inProcessManifests.parseArtifact(call.body) };
      case 'render':
        return { ok: await inProcessManifests.render(call.target) };
      default:
        throw new Error(`invoke-render: unknown op ${JSON.stringify((call as { op?: unknown })?.op)}`);
    }
  } catch (error) {
    // RenderError extends ValidationError: both are the input's fault (400), and only those are answered.
    if (error instanceof ValidationError) return { refused: error.message };
    throw error;
  }
}
