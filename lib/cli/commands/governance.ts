import type { ApprovalRule, Condition, FreezeWindow, Halt } from '../../domain/gate.ts';
import {
  BASE_HELP,
  BASE_OPTIONS,
  flagHelp,
  type HelpRow,
  onePositional,
  parseFlags,
  requireFlag,
  wantsJson,
} from '../args.ts';
import { connect } from '../client.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { printJson } from '../format.ts';

/** Release governance: stop-the-line, freeze windows, approval rules, approve/reject, override, overview. */

type Window = { start: string; end: string } | null;

/** `GET /api/governance`, in the domain's types (lib/app/governance.ts governanceView). */
interface Governance {
  now: string;
  halts: Halt[];
  freezes: (FreezeWindow & { active: Window; next: Window })[];
  approvalRules: ApprovalRule[];
  waiting: {
    id: string;
    env: string;
    app: string;
    intent: string;
    triggeredBy: string;
    conditions: Condition[];
  }[];
}

interface DecisionResult {
  id: string;
  decision: string;
  state: string;
  approvals: number;
  required: number;
}

const REASON_OPTIONS = { ...BASE_OPTIONS, reason: { type: 'string' } } as const;
const COMMENT_OPTIONS = { ...BASE_OPTIONS, comment: { type: 'string' } } as const;

export const stop: Command = {
  name: 'stop',
  summary: 'stop the line: hold every release to an environment (or all), queued ones included',
  usage: `Usage: ferry stop <env|all> --reason <why> [flags]

Releases to the environment wait (state waiting) until \`ferry start <env>\`, which lets them go in their
original order. \`all\` stops every environment (admins only).

${flagHelp([['--reason <text>', 'why: shown on every release it holds and announced in Slack'], ...BASE_HELP] as HelpRow[])}`,
  async run(args, io) {
    const { values, positionals } = parseFlags('stop', args, REASON_OPTIONS, true);
    const target = onePositional('stop', positionals, 'env|all');
    const env = target === 'all' ? '*' : target;
    const halt = await connect(values, io).post<unknown>('/api/halts', {
      env,
      reason: requireFlag('stop', 'reason', values.reason),
    });
    if (wantsJson(values.output)) return printJson(io.stdout, halt);
    io.stdout.write(`${target}: stopped; releases wait until ferry start ${target}\n`);
  },
};

export const start: Command = {
  name: 'start',
  summary: 'resume a stopped environment; waiting releases go in their original order',
  usage: `Usage: ferry start <env|all> [flags]

${flagHelp(BASE_HELP)}`,
  async run(args, io) {
    const { values, positionals } = parseFlags('start', args, BASE_OPTIONS, true);
    const target = onePositional('start', positionals, 'env|all');
    const env = target === 'all' ? '*' : target;
    const result = await connect(values, io).delete<{ sweep: { released: string[] } }>(
      `/api/halts/${encodeURIComponent(env)}`,
    );
    if (wantsJson(values.output)) return printJson(io.stdout, result);
    io.stdout.write(`${target}: resumed; ${result.sweep.released.length} waiting release(s) released\n`);
  },
};

const FREEZE_OPTIONS = {
  ...BASE_OPTIONS,
  env: { type: 'string' },
  app: { type: 'string' },
  id: { type: 'string' },
  reason: { type: 'string' },
  tz: { type: 'string' },
  start: { type: 'string' },
  duration: { type: 'string' },
  end: { type: 'string' },
  rrule: { type: 'string' },
} as const;

export const freezeAdd: Command = {
  name: 'freeze add',
  summary: 'create or replace a freeze window (one-off or recurring, in a time zone)',
  usage: `Usage: ferry freeze add --env <env> --reason <why> --start <YYYY-MM-DDTHH:MM> (--duration <PnDTnHnM> | --end <YYYY-MM-DDTHH:MM>) [flags]

During a window, deploys and deletes to the environment (or only --app) wait with the time the window
opens, then go in order. Rollbacks are not held. Example, every weekend in Berlin:
  ferry freeze add --env production --id weekend --reason "weekend" --tz Europe/Berlin \\
    --start 2026-01-02T16:00 --duration P2DT16H --rrule "FREQ=WEEKLY;BYDAY=FR"

${flagHelp([
  ['--env <env>', 'the environment (* for all)'],
  ['--app <app>', 'only this app'],
  ['--id <id>', 'name of the window (default: generated); the same id replaces it'],
  ['--reason <text>', 'why, shown on every release it holds'],
  ['--tz <zone>', 'IANA time zone of --start/--end (default UTC)'],
  ['--start <time>', 'wall time the (first) window starts'],
  ['--duration <d>', 'PnDTnHnM: days nominal, hours and minutes exact'],
  ['--end <time>', 'wall time a one-off window ends (instead of --duration)'],
  ['--rrule <rule>', 'FREQ=DAILY|WEEKLY; INTERVAL, BYDAY, BYHOUR, BYMINUTE, UNTIL, COUNT'],
  ...BASE_HELP,
] as HelpRow[])}`,
  async run(args, io) {
    const { values } = parseFlags('freeze add', args, FREEZE_OPTIONS);
    const body: Record<string, string> = {
      env: requireFlag('freeze add', 'env', values.env),
      reason: requireFlag('freeze add', 'reason', values.reason),
      start: requireFlag('freeze add', 'start', values.start),
    };
    for (const [flag, field] of [
      ['app', 'app'],
      ['id', 'id'],
      ['tz', 'timeZone'],
      ['duration', 'duration'],
      ['end', 'end'],
      ['rrule', 'rrule'],
    ] as const) {
      const value = values[flag];
      if (value !== undefined) body[field] = value;
    }
    const created = await connect(values, io).post<{ id: string }>('/api/freezes', body);
    if (wantsJson(values.output)) return printJson(io.stdout, created);
    io.stdout.write(`${created.id}\n`);
  },
};

export const freezeDelete: Command = {
  name: 'freeze delete',
  summary: 'remove a freeze window; releases it held go on',
  usage: `Usage: ferry freeze delete <id> [flags]

${flagHelp(BASE_HELP)}`,
  async run(args, io) {
    const { values, positionals } = parseFlags('freeze delete', args, BASE_OPTIONS, true);
    const id = onePositional('freeze delete', positionals, 'id');
    await connect(values, io).delete(`/api/freezes/${encodeURIComponent(id)}`);
    io.stdout.write(`deleted ${id}\n`);
  },
};

const RULE_OPTIONS = {
  ...BASE_OPTIONS,
  env: { type: 'string' },
  required: { type: 'string' },
  group: { type: 'string' },
  expires: { type: 'string' },
} as const;

export const approvalRule: Command = {
  name: 'approval-rule set',
  summary: 'require N approvals from a group for releases to an environment',
  usage: `Usage: ferry approval-rule set --env <env> --required <n> --group <group> [--expires <PnDTnHnM>] [flags]

Nobody approves their own release (neither who requested it nor the commit's author); an approval counts
for --expires (default P1D); one rejection fails the release.

${flagHelp([
  ['--env <env>', 'the environment'],
  ['--required <n>', 'approvals needed (1-10)'],
  ['--group <group>', 'user group whose members approve'],
  ['--expires <d>', 'how long an approval counts'],
  ...BASE_HELP,
] as HelpRow[])}`,
  async run(args, io) {
    const { values } = parseFlags('approval-rule set', args, RULE_OPTIONS);
    const required = Number(requireFlag('approval-rule set', 'required', values.required));
    if (!Number.isInteger(required))
      throw new UsageError('approval-rule set: --required must be a whole number');
    const rule = await connect(values, io).post<unknown>('/api/approval-rules', {
      env: requireFlag('approval-rule set', 'env', values.env),
      required,
      group: requireFlag('approval-rule set', 'group', values.group),
      ...(values.expires ? { expiresAfter: values.expires } : {}),
    });
    if (wantsJson(values.output)) return printJson(io.stdout, rule);
    io.stdout.write(`${values.env}: ${required} approval(s) from ${values.group}\n`);
  },
};

const decision = (name: 'approve' | 'reject'): Command => ({
  name,
  summary: name === 'approve' ? 'approve a waiting release' : 'reject a waiting release (it fails)',
  usage: `Usage: ferry ${name} <request id> [--comment <text>] [flags]

${flagHelp([['--comment <text>', 'shown with the decision'], ...BASE_HELP] as HelpRow[])}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(name, args, COMMENT_OPTIONS, true);
    const id = onePositional(name, positionals, 'request id');
    const result = await connect(values, io).post<DecisionResult>(
      `/api/releases/${encodeURIComponent(id)}/${name}`,
      values.comment ? { comment: values.comment } : {},
    );
    if (wantsJson(values.output)) return printJson(io.stdout, result);
    io.stdout.write(
      name === 'approve'
        ? `${id}: approved (${result.approvals} of ${result.required}); ${result.state}\n`
        : `${id}: rejected; ${result.state}\n`,
    );
  },
});

export const approve = decision('approve');
export const reject = decision('reject');

export const override: Command = {
  name: 'override',
  summary: 'let one waiting release through a freeze window (admin; audited and announced)',
  usage: `Usage: ferry override <request id> --reason <why> [flags]

${flagHelp([['--reason <text>', 'why the freeze may be bypassed'], ...BASE_HELP] as HelpRow[])}`,
  async run(args, io) {
    const { values, positionals } = parseFlags('override', args, REASON_OPTIONS, true);
    const id = onePositional('override', positionals, 'request id');
    const result = await connect(values, io).post<unknown>(
      `/api/releases/${encodeURIComponent(id)}/override`,
      {
        reason: requireFlag('override', 'reason', values.reason),
      },
    );
    if (wantsJson(values.output)) return printJson(io.stdout, result);
    io.stdout.write(`${id}: freeze overridden\n`);
  },
};

export const governance: Command = {
  name: 'governance',
  summary: 'stopped environments, freeze windows, approval rules and the releases waiting for them',
  usage: `Usage: ferry governance [flags]

${flagHelp(BASE_HELP)}`,
  async run(args, io) {
    const { values } = parseFlags('governance', args, BASE_OPTIONS);
    const g = await connect(values, io).get<Governance>('/api/governance');
    if (wantsJson(values.output)) return printJson(io.stdout, g);
    const out = (line: string) => io.stdout.write(`${line}\n`);
    for (const h of g.halts)
      out(`STOPPED  ${h.env === '*' ? 'all' : h.env}  by ${h.by} at ${h.at}: ${h.reason}`);
    for (const f of g.freezes) {
      const where = `${f.env}${f.app ? `/${f.app}` : ''}`;
      const when = f.active
        ? `FROZEN until ${f.active.end}`
        : f.next
          ? `next ${f.next.start} – ${f.next.end}`
          : 'no further occurrence';
      out(`freeze ${f.id}  ${where}  ${when}  (${f.reason}; ${f.rrule ?? 'one-off'} ${f.timeZone})`);
    }
    for (const r of g.approvalRules)
      out(`approvals  ${r.env}  ${r.required} of ${r.group}, valid ${r.expiresAfter}`);
    for (const w of g.waiting)
      out(
        `waiting  ${w.id}  ${w.intent} ${w.env}/${w.app} by ${w.triggeredBy}: ${w.conditions.map((c) => c.reason).join('; ')}`,
      );
    if (g.halts.length + g.freezes.length + g.approvalRules.length + g.waiting.length === 0)
      out('nothing holds releases');
  },
};
