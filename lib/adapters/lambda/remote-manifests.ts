import type { ManifestsAnswer, ManifestsCall } from '../../app/manifests.ts';
import type { Manifests } from '../../app/ports.ts';
import type { ArtifactInput } from '../../domain/artifact.ts';
import { DependencyError, ValidationError } from '../../domain/errors.ts';
import type { RenderedFile } from '../../domain/render/index.ts';
import type { LambdaInvoke } from './invoke.ts';

/**
 * The Manifests port on Lambda: each call is one synchronous invocation of `invoke-render`.
 * - A refusal comes back as the same ValidationError (400, the message naming the field) the in-process
 *   code throws.
 * - A failure of the render code itself is a DependencyError: not retryable, as the same code would fail
 *   the same way in process.
 * - A failed invocation (throttle, timeout, crash) is the invoke client's UnavailableError (503,
 *   retryable), never the input's fault.
 * Both directions stay under the 6 MB a synchronous invocation carries (Lambda quotas, "Invocation
 * payload (request and response)"): a request carries the artifact (a body is at most 1 MiB,
 * lib/http/request.ts) and one manifest, an answer at most MAX_RENDERED_BYTES of files.
 */
export function remoteManifests(invoke: LambdaInvoke, functionName: string): Manifests {
  const call = async (payload: ManifestsCall): Promise<unknown> => {
    const answer = (await invoke(functionName, payload)) as ManifestsAnswer | null;
    if (answer && 'refused' in answer) throw new ValidationError(answer.refused);
    if (answer && 'failed' in answer) throw new DependencyError(`${functionName}: ${answer.failed}`);
    if (!answer || !('ok' in answer)) {
      throw new DependencyError(`${functionName} answered neither a value nor a refusal`);
    }
    return answer.ok;
  };
  return {
    parseArtifact: async (body) => (await call({ op: 'parseArtifact', body })) as ArtifactInput,
    render: async (artifact, { vars: _derived, ...target }) =>
      (await call({ op: 'render', artifact, target })) as RenderedFile[],
  };
}
