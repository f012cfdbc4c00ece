import { answerManifests, type ManifestsAnswer, type ManifestsCall } from '../lib/app/manifests.ts';
import { instrument } from '../lib/log/instrument.ts';

/**
 * Invoked synchronously by http-artifacts (an artifact checked at the door) and http-releases (a deploy,
 * promotion, dry run or policy evaluation rendered before it is accepted): YAML and Go templates, which
 * are the artifact author's code, run here, in a function that may touch nothing (no table, no secret, no
 * queue), and stay out of the API bundles. A refusal is answered; anything else fails the invocation.
 */
export const handler = instrument(
  async (call: ManifestsCall): Promise<ManifestsAnswer> => answerManifests(call),
);
