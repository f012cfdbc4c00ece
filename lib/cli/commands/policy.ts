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

interface Policy {
  id: string;
  kind: string;
  env: string;
  app?: string;
  branch: string;
  source: string;
}

interface Decision {
  env: string;
  app: string;
  matched: boolean;
  reasons: string[];
  outcome?: string;
  target?: { env: string; app: string };
}

export const policyList: Command = {
  name: 'policy list',
  summary: 'auto-release and branch-restriction policies in force',
  usage: `Usage: ferry policy list [flags]

One line per policy: <id>  <kind>  <what>  (<source>). Install policies cannot be deleted.

${flagHelp(BASE_HELP)}`,
  async run(args, io) {
    const { values } = parseFlags('policy list', args, BASE_OPTIONS);
    const policies = await connect(values, io).get<Policy[]>('/api/policies');
    if (wantsJson(values.output)) return printJson(io.stdout, policies);
    for (const p of policies) {
      const what =
        p.kind === 'auto-release'
          ? `${p.app} from branch ${p.branch} → ${p.env}`
          : `${p.env}${p.app ? `/${p.app}` : ''} only from branches matching ${p.branch}`;
      io.stdout.write(`${p.id}  ${p.kind}  ${what}  (${p.source})\n`);
    }
  },
};

const APPLY_OPTIONS = {
  ...BASE_OPTIONS,
  app: { type: 'string' },
  env: { type: 'string' },
  branch: { type: 'string' },
} as const;

export const policyApply: Command = {
  name: 'policy apply',
  summary: 'create or replace an auto-release or branch-restriction policy',
  usage: `Usage: ferry policy apply auto-release --app <app> --branch <glob> --env <env> [flags]
       ferry policy apply branch-restriction --env <env> [--app <app>] --branch <regex> [flags]

auto-release: pushes of a matching branch release <app> to <env> (globs: * within a segment, ** across).
branch-restriction: releases to <env> (or only <app> there) only from branches matching the regex
(e.g. '^main$'); manual and automatic releases alike. Prints the policy id.

${flagHelp([
  ['--app <app>', 'the app'],
  ['--env <env>', 'the environment'],
  ['--branch <pattern>', 'auto-release: a glob; branch-restriction: a regular expression'],
  ...BASE_HELP,
] as HelpRow[])}`,
  async run(args, io) {
    const { values, positionals } = parseFlags('policy apply', args, APPLY_OPTIONS, true);
    const [kind, ...extra] = positionals;
    if (kind !== 'auto-release' && kind !== 'branch-restriction') {
      throw new UsageError(
        'policy apply: say auto-release or branch-restriction (see ferry policy apply --help)',
      );
    }
    if (extra.length > 0) throw new UsageError(`policy apply: unexpected argument "${extra[0]}"`);
    const body: Record<string, string> = {
      kind,
      env: requireFlag('policy apply', 'env', values.env),
      branch: requireFlag('policy apply', 'branch', values.branch),
    };
    if (kind === 'auto-release') body.app = requireFlag('policy apply', 'app', values.app);
    else if (values.app) body.app = values.app;
    const created = await connect(values, io).post<Policy>('/api/policies', body);
    if (wantsJson(values.output)) return printJson(io.stdout, created);
    io.stdout.write(`${created.id}\n`);
  },
};

export const policyDelete: Command = {
  name: 'policy delete',
  summary: 'remove a policy by id (see ferry policy list)',
  usage: `Usage: ferry policy delete <id> [flags]

${flagHelp(BASE_HELP)}`,
  async run(args, io) {
    const { values, positionals } = parseFlags('policy delete', args, BASE_OPTIONS, true);
    const id = onePositional('policy delete', positionals, 'id');
    await connect(values, io).delete(`/api/policies/${encodeURIComponent(id)}`);
    io.stdout.write(`deleted ${id}\n`);
  },
};

export const policyEvaluate: Command = {
  name: 'policy evaluate',
  summary: "why each of an artifact's manifests would release or not (writes nothing)",
  usage: `Usage: ferry policy evaluate --artifact <id> [flags]

One line per manifest: <env>/<app>  <outcome>  <reasons>.

${flagHelp([['--artifact <id>', 'the artifact (required)'], ...BASE_HELP] as HelpRow[])}`,
  async run(args, io) {
    const { values } = parseFlags('policy evaluate', args, { ...BASE_OPTIONS, artifact: { type: 'string' } });
    const artifactId = requireFlag('policy evaluate', 'artifact', values.artifact);
    const decisions = await connect(values, io).post<Decision[]>('/api/policies/evaluate', { artifactId });
    if (wantsJson(values.output)) return printJson(io.stdout, decisions);
    for (const d of decisions) {
      const where = d.target ? `${d.target.env}/${d.target.app}` : `${d.env}/${d.app}`;
      const outcome = d.matched ? (d.outcome ?? 'matched') : 'no match';
      io.stdout.write(`${where}  ${outcome}  ${d.reasons.join('; ')}\n`);
    }
  },
};
