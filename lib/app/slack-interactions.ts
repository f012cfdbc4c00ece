import { ForbiddenError, UnauthenticatedError, ValidationError } from '../domain/errors.ts';
import { APPROVE_ACTION, REJECT_ACTION } from '../domain/slack-actions.ts';
import type { CallContext } from './audit.ts';
import { type DecisionResult, decide, type GovernanceDeps } from './governance.ts';
import { slackSignatureProblem } from './signature.ts';

export interface SlackInteraction {
  body: Buffer;
  timestamp?: string;
  signature?: string;
}

interface BlockActionsPayload {
  type?: string;
  user?: { id?: string; username?: string };
  actions?: { action_id?: string; value?: string }[];
}

/**
 * Slack's interactivity request (a button pressed on a release message): the signature and timestamp are
 * checked first, then the Slack member is mapped to the Ferry user whose `slackUserId` it is, who then
 * approves or rejects exactly as through the API (groups, no self-approval).
 */
export async function receiveSlackInteraction(
  deps: GovernanceDeps,
  secret: string | undefined,
  input: SlackInteraction,
  requestId: string,
): Promise<DecisionResult & { text: string }> {
  if (!secret) throw new UnauthenticatedError('Slack request refused: no signing secret is configured');
  const problem = slackSignatureProblem(
    input.body,
    input.timestamp,
    input.signature,
    secret,
    deps.clock.now(),
  );
  if (problem) throw new UnauthenticatedError(`Slack request refused: ${problem}`);
  const form = new URLSearchParams(input.body.toString('utf8'));
  const raw = form.get('payload');
  if (!raw) throw new ValidationError('payload: missing (Slack sends payload=<JSON>, form-encoded)');
  let payload: BlockActionsPayload;
  try {
    payload = JSON.parse(raw) as BlockActionsPayload;
  } catch {
    throw new ValidationError('payload: not JSON');
  }
  if (payload.type !== 'block_actions')
    throw new ValidationError(`payload.type: ${payload.type} is not handled`);
  const action = payload.actions?.find(
    (a) => a.action_id === APPROVE_ACTION || a.action_id === REJECT_ACTION,
  );
  if (!action?.value) throw new ValidationError('payload.actions: no Ferry approve or reject action');
  const slackId = payload.user?.id;
  if (!slackId) throw new ValidationError('payload.user.id: missing');
  const user = (await deps.users.list()).find((u) => u.slackUserId === slackId);
  if (!user) throw new ForbiddenError(`Slack user ${slackId} is not linked to a Ferry user (slackUserId)`);
  const call: CallContext = {
    principal: {
      login: user.login,
      role: user.role,
      tokenId: `slack:${slackId}`,
      ...(user.environments ? { environments: user.environments } : {}),
    },
    requestId,
    clock: deps.clock,
  };
  const decision = action.action_id === APPROVE_ACTION ? 'approve' : 'reject';
  const result = await decide(deps, call, action.value, decision, {}, 'slack');
  const text =
    decision === 'reject'
      ? `${user.login} rejected request ${result.id}`
      : `${user.login} approved request ${result.id} (${result.approvals} of ${result.required})`;
  return { ...result, text };
}
