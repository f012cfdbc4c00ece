import type { ManifestsAnswer, ManifestsCall } from '../../app/manifests.ts';
import type { Manifests } from '../../app/ports.ts';
import type { ArtifactInput } from '../../domain/artifact.ts';
import { DependencyError, ValidationError } from '../../domain/errors.ts';
import type { RenderedFile } from '../../domain/render/index.ts';
import type { LambdaInvoke } from './invoke.ts';

/**
 * The Manifests port on Lambda: each call is one synchronous invocation of `invoke-render`. A refusal comes
 * back as the same ValidationError (400, the message naming the field) the in-process code throws; a failed
 * invocation (throttle, crash, timeout) is the invoke client's UnavailableError (503, retryable), never
 * the input's fault. Payloads stay far under the 6 MB a synchronous invocation carries each way (Lambda
 * quotas, "Invocation payload (request and response)"): a body is at most 1 MiB (lib/http/request.ts) and
 * a stored artifact one DynamoDB item (400 KB).
 */
export function remoteManifests(invoke: LambdaInvoke, functionName: string): Manifests {
  const call = async (payload: ManifestsCall): Promise<unknown> => {
    const answer = (await invoke(functionName, payload)) as ManifestsAnswer | null;
    if (answer && 'refused' in answer) throw new ValidationError(answer.refused);
    if (!answer || !('ok' in answer)) {
      throw new DependencyError(`${functionName} answered neither a value nor a refusal`);
    }
    return answer.ok;
  };
  return {
    parseArtifact: async (body) => (await call({ op: 'parseArtifact', body })) as ArtifactInput,
    render: async (target) => (await call({ op: 'render', target })) as RenderedFile[],
  };
}
