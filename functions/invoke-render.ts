import { answerManifests, type ManifestsAnswer, type ManifestsCall } from '../lib/app/manifests.ts';
import { instrument } from '../lib/log/instrument.ts';

/**
 * Invoked synchronously by http-artifacts (an artifact checked at the door) and http-releases (a deploy,
 * promotion, dry run or policy evaluation rendered before it is accepted). The manifests' templates and
 * YAML, the artifact author's code, run here, in a function that may touch nothing (no table, no secret,
 * no queue); http-releases still evaluates the templates of variables and env/app names itself, under the
 * same step and size limits, to know which app a request is for before it authorizes it. The answer is the
 * value, the input's refusal, or the render code's own failure (lib/app/manifests.ts).
 */
export const handler = instrument(
  async (call: ManifestsCall): Promise<ManifestsAnswer> => answerManifests(call),
);
