import type { Version } from './artifact.ts';
import { ValidationError } from './errors.ts';
import { isDnsLabel as validLabel } from './names.ts';
import {
  checkTimeZone,
  coveringOccurrence,
  formatLocal,
  fromLocal,
  nextOccurrence,
  type Occurrence,
  parseDuration,
  parseLocal,
  parseRrule,
  type WindowSpec,
} from './recurrence.ts';
import type { ReleaseRequest } from './release.ts';
import { type JsonSchema, nullable, object, readFields } from './schema.ts';
import { optionalString, requiredString } from './validate.ts';

/**
 * The release gate: one check, made by the writer right before it writes, that says whether a request
 * may proceed now. A request that may not waits (state `waiting`) with every unmet condition in words;
 * one sweep (scheduled, and run at once after a resume, an approval or an override) releases those
 * whose conditions cleared, oldest first per `<env>/<app>`.
 */

/** Stop-the-line: an environment (or `*`, every environment) halted by someone, with why. */
export interface Halt {
  env: string;
  by: string;
  at: string;
  reason: string;
}

export const ALL_ENVIRONMENTS = '*';

/** A freeze window as stored: `start` is a wall time in `timeZone`; `rrule` makes it recurring. */
export interface FreezeWindow {
  id: string;
  env: string;
  /** Only this app; every app of the environment when absent. */
  app?: string;
  reason: string;
  timeZone: string;
  start: string;
  /** PnDTnHnM; a one-off window may give `end` instead. */
  duration?: string;
  /** One-off windows: the wall time the window ends. */
  end?: string;
  rrule?: string;
  createdBy: string;
  createdAt: string;
}

/** "N approvals from members of `group`", per environment; an approval counts for `expiresAfter`. */
export interface ApprovalRule {
  env: string;
  required: number;
  group: string;
  /** ISO duration (PTnH, PnD) an approval stays valid. */
  expiresAfter: string;
  createdBy: string;
  createdAt: string;
}

export interface Decision {
  login: string;
  decision: 'approve' | 'reject';
  at: string;
  comment?: string;
}

/** An admin's freeze override for one request: audited and announced. */
export interface Override {
  by: string;
  at: string;
  reason: string;
}

export type ConditionKind = 'halt' | 'freeze' | 'approval' | 'order';

export interface Condition {
  kind: ConditionKind;
  reason: string;
  /** freeze: when the window opens again (ISO). */
  until?: string;
}

/** Where the request stands at the gate: stored on a waiting request. */
export interface GateState {
  conditions: Condition[];
  /** How often the writer parked it: the release message's deduplication id carries it. */
  parks: number;
  /** Set when the sweep found the conditions cleared and re-queued it. */
  releasedAt?: string;
}

export interface GateSettings {
  halts: Halt[];
  freezes: FreezeWindow[];
  approvalRules: ApprovalRule[];
}

export interface GateInput {
  request: ReleaseRequest;
  now: Date;
  settings: GateSettings;
  decisions: Decision[];
  override?: Override;
  /** Older requests of the same `<env>/<app>` still waiting (by sequence). */
  olderWaiting: ReleaseRequest[];
}

export type Verdict =
  | { pass: true }
  | { pass: false; rejected: string }
  | { pass: false; conditions: Condition[] };

/** Rollbacks put back what ran before: remediation, so a freeze does not hold them (halts and approvals do). */
const FROZEN_INTENTS = new Set(['deploy', 'delete']);
const APPROVED_INTENTS = new Set(['deploy', 'rollback', 'delete']);

export function windowSpec(
  w: Pick<FreezeWindow, 'start' | 'timeZone' | 'duration' | 'rrule' | 'end'>,
): WindowSpec {
  return {
    start: parseLocal(w.start, 'start'),
    timeZone: w.timeZone,
    duration: w.duration ? parseDuration(w.duration, 'duration') : { days: 0, ms: 0 },
    ...(w.end ? { end: parseLocal(w.end, 'end') } : {}),
    ...(w.rrule ? { rrule: parseRrule(w.rrule) } : {}),
  };
}

/** The occurrence of `window` covering `now`, if it applies to `env`/`app`. */
export function activeFreeze(
  window: FreezeWindow,
  env: string,
  app: string,
  now: Date,
): Occurrence | undefined {
  if (
    (window.env !== env && window.env !== ALL_ENVIRONMENTS) ||
    (window.app !== undefined && window.app !== app)
  )
    return undefined;
  return coveringOccurrence(windowSpec(window), now);
}

export function upcomingFreeze(window: FreezeWindow, now: Date): Occurrence | undefined {
  return nextOccurrence(windowSpec(window), now);
}

/** Approvals that count now: unexpired, latest decision per person. */
export function liveDecisions(decisions: Decision[], rule: ApprovalRule | undefined, now: Date): Decision[] {
  const ttl = rule ? parseDuration(rule.expiresAfter, 'expiresAfter') : undefined;
  const latest = new Map<string, Decision>();
  for (const d of [...decisions].sort((a, b) => a.at.localeCompare(b.at))) latest.set(d.login, d);
  return [...latest.values()].filter(
    (d) =>
      d.decision === 'reject' || !ttl || Date.parse(d.at) + ttl.days * 86_400_000 + ttl.ms > now.getTime(),
  );
}

export function gateVerdict(input: GateInput): Verdict {
  const { request, now, settings } = input;
  const rule = settings.approvalRules.find((r) => r.env === request.env);
  const live = liveDecisions(input.decisions, rule, now);
  const rejection = live.find((d) => d.decision === 'reject');
  if (rejection) {
    return {
      pass: false,
      rejected: `rejected by ${rejection.login}${rejection.comment ? `: ${rejection.comment}` : ''}`,
    };
  }
  const conditions: Condition[] = [];
  for (const halt of settings.halts) {
    if (halt.env !== request.env && halt.env !== ALL_ENVIRONMENTS) continue;
    const where = halt.env === ALL_ENVIRONMENTS ? 'every environment' : `environment ${halt.env}`;
    conditions.push({ kind: 'halt', reason: `${where} stopped by ${halt.by} at ${halt.at}: ${halt.reason}` });
  }
  if (FROZEN_INTENTS.has(request.intent) && !input.override) {
    for (const window of settings.freezes) {
      const open = activeFreeze(window, request.env, request.app, now);
      if (!open) continue;
      conditions.push({
        kind: 'freeze',
        reason: `freeze window ${window.id} (${window.reason}) until ${open.end.toISOString()}`,
        until: open.end.toISOString(),
      });
    }
  }
  if (rule && APPROVED_INTENTS.has(request.intent)) {
    const approvals = live.filter((d) => d.decision === 'approve').length;
    if (approvals < rule.required) {
      conditions.push({
        kind: 'approval',
        reason: `approvals ${approvals} of ${rule.required} from ${rule.group}`,
      });
    }
  }
  const [oldest, ...others] = [...input.olderWaiting].sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0));
  if (oldest) {
    conditions.push({
      kind: 'order',
      reason: `behind older request ${oldest.id}${others.length ? ` and ${others.length} more` : ''} for ${oldest.env}/${oldest.app}, still waiting`,
    });
  }
  return conditions.length === 0 ? { pass: true } : { pass: false, conditions };
}

/**
 * Why `login` may not decide on `request`; undefined when they may. Nobody approves their own release:
 * neither the person who asked for it nor the author of the commit it ships.
 */
export function selfApproval(
  request: ReleaseRequest,
  approver: { login: string; email?: string },
  version: Version | undefined,
): string | undefined {
  if (approver.login === request.triggeredBy) return `${approver.login} requested this release`;
  const email = approver.email?.toLowerCase();
  if (version && email && version.authorEmail?.toLowerCase() === email)
    return `${approver.login} authored commit ${version.sha.slice(0, 8)}`;
  if (version && version.authorName?.toLowerCase() === approver.login.toLowerCase())
    return `${approver.login} authored commit ${version.sha.slice(0, 8)}`;
  return undefined;
}

export function describeConditions(conditions: Condition[]): string {
  return conditions.map((c) => c.reason).join('; ');
}

const str = (description: string, maxLength = 255): JsonSchema =>
  nullable({ type: 'string', description, maxLength });

export const FREEZE_SCHEMA = object(
  {
    id: str('DNS label naming the window (default: generated)'),
    env: { type: 'string', description: 'environment, or * for every environment' },
    app: str('only this app (default: every app of the environment)'),
    reason: { type: 'string', maxLength: 500, description: 'why: shown on every release it holds' },
    timeZone: str('IANA time zone of start/end (default UTC)'),
    start: { type: 'string', description: 'wall time YYYY-MM-DDTHH:MM in timeZone (RFC 5545 DTSTART)' },
    duration: str('PnDTnHnM: days nominal, hours/minutes exact (RFC 5545 §3.3.6)'),
    end: str('wall time YYYY-MM-DDTHH:MM ending a one-off window (instead of duration)'),
    rrule: str('RRULE subset: FREQ=DAILY|WEEKLY, INTERVAL, BYDAY, BYHOUR, BYMINUTE, UNTIL, COUNT', 500),
  },
  { required: ['env', 'reason', 'start'] },
);

export const APPROVAL_RULE_SCHEMA = object(
  {
    env: { type: 'string', description: 'environment the rule governs' },
    required: { type: 'integer', minimum: 1, maximum: 10, description: 'approvals needed' },
    group: { type: 'string', description: 'user group whose members may approve' },
    expiresAfter: str('how long an approval counts (ISO duration, default P1D)'),
  },
  { required: ['env', 'required', 'group'] },
);

export const HALT_SCHEMA = object(
  {
    env: { type: 'string', description: 'environment to stop, or * for all' },
    reason: { type: 'string', maxLength: 500, description: 'why: shown on every request it holds' },
  },
  { required: ['env', 'reason'] },
);

export const DECISION_SCHEMA = object({ comment: str('shown with the decision', 500) });
export const OVERRIDE_SCHEMA = object(
  { reason: { type: 'string', maxLength: 500, description: 'why the freeze may be bypassed (audited)' } },
  { required: ['reason'] },
);

/**
 * A freeze window from the API: `start` (wall time) with `duration`, or with `end` (wall time, one-off
 * windows only); `rrule` makes it recurring. `timeZone` defaults to UTC.
 */
export function parseFreeze(
  body: unknown,
  meta: { id: string; createdBy: string; createdAt: string },
): FreezeWindow {
  const f = readFields<'env' | 'app' | 'reason' | 'timeZone' | 'start' | 'duration' | 'end' | 'rrule' | 'id'>(
    FREEZE_SCHEMA,
    body,
    '',
  );
  const env = requiredString(f.env, 'env');
  if (env !== ALL_ENVIRONMENTS && !validLabel(env))
    throw new ValidationError(`env: "${env}" is not a DNS-1123 label`);
  const app = optionalString(f.app, 'app');
  if (app !== undefined && !validLabel(app))
    throw new ValidationError(`app: "${app}" is not a DNS-1123 label`);
  const timeZone = checkTimeZone(optionalString(f.timeZone, 'timeZone') ?? 'UTC');
  const start = parseLocal(requiredString(f.start, 'start'), 'start');
  const rrule = optionalString(f.rrule, 'rrule', 500);
  const endText = optionalString(f.end, 'end');
  const duration = optionalString(f.duration, 'duration');
  let end: string | undefined;
  if (endText !== undefined) {
    if (duration !== undefined || rrule !== undefined)
      throw new ValidationError('end: give either end (one-off windows) or duration (any window), not both');
    const e = parseLocal(endText, 'end');
    if (fromLocal(e, timeZone) <= fromLocal(start, timeZone))
      throw new ValidationError('end: must be after start');
    end = formatLocal(e);
  } else if (duration === undefined) {
    throw new ValidationError('duration: required (or end, for a one-off window)');
  }
  const window: FreezeWindow = {
    id: optionalString(f.id, 'id') ?? meta.id,
    env,
    reason: requiredString(f.reason, 'reason', 500),
    timeZone,
    start: formatLocal(start),
    ...(duration ? { duration } : {}),
    ...(end ? { end } : {}),
    createdBy: meta.createdBy,
    createdAt: meta.createdAt,
    ...(app ? { app } : {}),
    ...(rrule ? { rrule } : {}),
  };
  if (!validLabel(window.id)) throw new ValidationError(`id: "${window.id}" is not a DNS-1123 label`);
  windowSpec(window);
  return window;
}

export function parseApprovalRule(
  body: unknown,
  meta: { createdBy: string; createdAt: string },
): ApprovalRule {
  const f = readFields<'env' | 'required' | 'group' | 'expiresAfter'>(APPROVAL_RULE_SCHEMA, body, '');
  const env = requiredString(f.env, 'env');
  if (!validLabel(env)) throw new ValidationError(`env: "${env}" is not a DNS-1123 label`);
  const required = f.required;
  if (typeof required !== 'number' || !Number.isInteger(required) || required < 1 || required > 10)
    throw new ValidationError('required: a whole number of approvals from 1 to 10');
  const group = requiredString(f.group, 'group');
  if (!validLabel(group)) throw new ValidationError(`group: "${group}" is not a DNS-1123 label`);
  const expiresAfter = optionalString(f.expiresAfter, 'expiresAfter') ?? 'P1D';
  parseDuration(expiresAfter, 'expiresAfter');
  return { env, required, group, expiresAfter, ...meta };
}

export function parseHalt(body: unknown): { env: string; reason: string } {
  const f = readFields<'env' | 'reason'>(HALT_SCHEMA, body, '');
  const env = requiredString(f.env, 'env');
  if (env !== ALL_ENVIRONMENTS && !validLabel(env))
    throw new ValidationError(`env: "${env}" is not a DNS-1123 label (or * for every environment)`);
  return { env, reason: requiredString(f.reason, 'reason', 500) };
}
