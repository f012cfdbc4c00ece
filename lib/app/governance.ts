import { authorize, canSee } from '../domain/access.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.ts';
import {
  ALL_ENVIRONMENTS,
  activeFreeze,
  DECISION_SCHEMA,
  type Decision,
  type FreezeWindow,
  type Halt,
  liveDecisions,
  OVERRIDE_SCHEMA,
  parseApprovalRule,
  parseFreeze,
  parseHalt,
  selfApproval,
  upcomingFreeze,
} from '../domain/gate.ts';
import { isDnsLabel } from '../domain/names.ts';
import type { ReleaseRequest } from '../domain/release.ts';
import { readFields } from '../domain/schema.ts';
import { optionalString, requiredString } from '../domain/validate.ts';
import { auditEntry, type CallContext } from './audit.ts';
import { type GateDeps, type SweepResult, sweepWaiting } from './gate.ts';
import type { ArtifactStore, User, UserStore } from './ports.ts';
import { newId } from './tokens.ts';

/**
 * Governance through the API: stop-the-line, freeze windows, approval rules, decisions on single
 * requests and freeze overrides. Whatever may let a waiting request go runs the sweep at once, so a
 * resume or the last approval takes effect without waiting for the scheduled one.
 */
export interface GovernanceDeps extends GateDeps {
  users: UserStore;
  artifacts: ArtifactStore;
}

/** Stopping one environment is a deployer's emergency brake; stopping every environment is an admin's. */
function authorizeHalt(call: CallContext, env: string) {
  if (env === ALL_ENVIRONMENTS) authorize(call.principal, 'env:manage');
  else authorize(call.principal, 'release:write', [env]);
}

export async function haltEnvironment(deps: GovernanceDeps, call: CallContext, body: unknown): Promise<Halt> {
  authorize(call.principal, 'release:write');
  const input = parseHalt(body);
  authorizeHalt(call, input.env);
  const halt: Halt = { ...input, by: call.principal.login, at: call.clock.now().toISOString() };
  const where = input.env === ALL_ENVIRONMENTS ? 'every environment' : `*${input.env}*`;
  await deps.governance.putHalt(halt, auditEntry(call, 'env.halt', input.env, { reason: input.reason }), {
    env: input.env,
    text: `:octagonal_sign: ${where} stopped by ${halt.by}: ${halt.reason}. Releases wait until \`ferry resume-env ${input.env}\`.`,
  });
  return halt;
}

export async function resumeEnvironment(
  deps: GovernanceDeps,
  call: CallContext,
  env: string,
): Promise<{ env: string; resumed: Halt; sweep: SweepResult }> {
  authorize(call.principal, 'release:write');
  if (env !== ALL_ENVIRONMENTS && !isDnsLabel(env))
    throw new ValidationError(`env: "${env}" is not a DNS-1123 label`);
  authorizeHalt(call, env);
  const where = env === ALL_ENVIRONMENTS ? 'every environment' : `*${env}*`;
  const lifted = await deps.governance.deleteHalt(env, auditEntry(call, 'env.resume', env), {
    env,
    text: `:large_green_circle: ${where} resumed by ${call.principal.login}; waiting releases proceed in order.`,
  });
  if (!lifted) throw new NotFoundError(`${env} is not stopped`);
  return { env, resumed: lifted, sweep: await sweepWaiting(deps) };
}

export async function putFreeze(
  deps: GovernanceDeps,
  call: CallContext,
  body: unknown,
): Promise<FreezeWindow> {
  authorize(call.principal, 'env:manage');
  const window = parseFreeze(body, {
    id: `freeze-${newId().slice(0, 8).toLowerCase()}`,
    createdBy: call.principal.login,
    createdAt: call.clock.now().toISOString(),
  });
  await deps.governance.putFreeze(
    window,
    auditEntry(call, 'freeze.put', window.id, { env: window.env, reason: window.reason }),
  );
  return window;
}

export async function deleteFreeze(
  deps: GovernanceDeps,
  call: CallContext,
  id: string,
): Promise<SweepResult> {
  authorize(call.principal, 'env:manage');
  if (!(await deps.governance.deleteFreeze(id, auditEntry(call, 'freeze.delete', id))))
    throw new NotFoundError(`freeze window ${id} not found`);
  return sweepWaiting(deps);
}

export async function putApprovalRule(deps: GovernanceDeps, call: CallContext, body: unknown) {
  authorize(call.principal, 'env:manage');
  const rule = parseApprovalRule(body, {
    createdBy: call.principal.login,
    createdAt: call.clock.now().toISOString(),
  });
  await deps.governance.putApprovalRule(
    rule,
    auditEntry(call, 'approval-rule.put', rule.env, { required: String(rule.required), group: rule.group }),
  );
  return rule;
}

export async function deleteApprovalRule(deps: GovernanceDeps, call: CallContext, env: string) {
  authorize(call.principal, 'env:manage');
  if (!(await deps.governance.deleteApprovalRule(env, auditEntry(call, 'approval-rule.delete', env))))
    throw new NotFoundError(`${env} has no approval rule`);
  return sweepWaiting(deps);
}

/** `GET /api/governance`: what holds releases now and what is coming, narrowed to the caller's environments. */
export async function governanceView(deps: GovernanceDeps, call: CallContext) {
  authorize(call.principal, 'release:read');
  const settings = await deps.governance.settings();
  const now = call.clock.now();
  const visible = (env: string) => env === ALL_ENVIRONMENTS || canSee(call.principal, env);
  return {
    now: now.toISOString(),
    halts: settings.halts.filter((h) => visible(h.env)),
    freezes: settings.freezes
      .filter((w) => visible(w.env))
      .map((w) => {
        const active = activeFreeze(w, w.env, w.app ?? '', now);
        const next = upcomingFreeze(w, now);
        return {
          ...w,
          active: active ? { start: active.start.toISOString(), end: active.end.toISOString() } : null,
          next: next ? { start: next.start.toISOString(), end: next.end.toISOString() } : null,
        };
      }),
    approvalRules: settings.approvalRules.filter((r) => visible(r.env)),
    waiting: (await deps.releases.waiting())
      .filter((r) => visible(r.env))
      .map((r) => ({
        id: r.id,
        env: r.env,
        app: r.app,
        intent: r.intent,
        triggeredBy: r.triggeredBy,
        createdAt: r.createdAt,
        sequence: r.sequence,
        conditions: r.gate?.conditions ?? [],
        ...(r.gate?.releasedAt ? { releasedAt: r.gate.releasedAt } : {}),
      })),
  };
}

export interface DecisionResult {
  id: string;
  decision: Decision['decision'];
  state: ReleaseRequest['state'];
  approvals: number;
  required: number;
}

/** The request, if the caller may see its environment and it is still pending. */
async function pendingRequest(deps: GovernanceDeps, call: CallContext, id: string): Promise<ReleaseRequest> {
  const request = await deps.releases.get(id);
  if (!request) throw new NotFoundError(`release request ${id} not found`);
  authorize(call.principal, 'release:read', [request.env]);
  if (!['requested', 'queued', 'waiting'].includes(request.state))
    throw new ConflictError(
      `release request ${id} is ${request.state}; only a pending request can be decided on`,
    );
  return request;
}

/**
 * Approves or rejects a pending request as `user` (from a token, or from Slack's buttons). Only members
 * of the environment's approval group decide, never the requester or the commit's author; a rejection
 * ends the request failed at the next sweep, which runs now.
 */
export async function decide(
  deps: GovernanceDeps,
  call: CallContext,
  id: string,
  decision: Decision['decision'],
  body: unknown,
  via = 'api',
): Promise<DecisionResult> {
  authorize(call.principal, 'release:read');
  const f = readFields<'comment'>(DECISION_SCHEMA, body ?? {}, '');
  const comment = optionalString(f.comment, 'comment', 500);
  const request = await pendingRequest(deps, call, id);
  const settings = await deps.governance.settings();
  const rule = settings.approvalRules.find((r) => r.env === request.env);
  if (!rule) throw new ConflictError(`${request.env} has no approval rule; nothing to approve`);
  const user: Pick<User, 'login' | 'groups' | 'email'> = (await deps.users.get(call.principal.login)) ?? {
    login: call.principal.login,
  };
  if (!user.groups?.includes(rule.group))
    throw new ForbiddenError(
      `${user.login} is not in group ${rule.group}, which approves releases to ${request.env}`,
    );
  const artifact = request.artifactId ? await deps.artifacts.get(request.artifactId) : undefined;
  const self = selfApproval(request, user, artifact?.version);
  if (self) throw new ForbiddenError(`no self-approval: ${self}`);
  const at = call.clock.now().toISOString();
  const entry: Decision = { login: user.login, decision, at, ...(comment ? { comment } : {}) };
  await deps.governance.decide(
    id,
    entry,
    auditEntry(call, `release.${decision}`, id, {
      env: request.env,
      app: request.app,
      via,
      ...(comment ? { comment } : {}),
    }),
  );
  await sweepWaiting(deps, [request]);
  const gate = await deps.governance.gateOf(id);
  const approvals = liveDecisions(gate.decisions, rule, call.clock.now()).filter(
    (d) => d.decision === 'approve',
  ).length;
  const now = (await deps.releases.get(id)) ?? request;
  return { id, decision, state: now.state, approvals, required: rule.required };
}

/** An admin lets one request through a freeze (not a halt, not approvals), with a reason; audited and announced. */
export async function overrideFreeze(deps: GovernanceDeps, call: CallContext, id: string, body: unknown) {
  authorize(call.principal, 'env:manage');
  const f = readFields<'reason'>(OVERRIDE_SCHEMA, body, '');
  const reason = requiredString(f.reason, 'reason', 500);
  const request = await pendingRequest(deps, call, id);
  const override = { by: call.principal.login, at: call.clock.now().toISOString(), reason };
  await deps.governance.putOverride(
    id,
    override,
    auditEntry(call, 'release.override', id, { env: request.env, app: request.app, reason }),
    {
      env: request.env,
      text: `:warning: ${override.by} overrode the freeze for ${request.intent} of *${request.app}* to *${request.env}* (request ${id}): ${reason}`,
    },
  );
  const sweep = await sweepWaiting(deps, [request]);
  return { id, override, sweep };
}
