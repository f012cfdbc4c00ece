import {
  BASE_HELP,
  BASE_OPTIONS,
  flagHelp,
  type HelpRow,
  parseFlags,
  requireFlag,
  TARGET_OPTIONS,
  targetHelp,
  wantsJson,
} from '../args.ts';
import { connect } from '../client.ts';
import type { Command } from '../command.ts';
import { printJson } from '../format.ts';

const NAME = 'resume';
const OPTIONS = {
  ...BASE_OPTIONS,
  ...TARGET_OPTIONS,
} as const;

const FLAGS: HelpRow[] = [...targetHelp('required'), ...BASE_HELP];

export const resume: Command = {
  name: NAME,
  summary: 'lift the hold a rollback put on automatic deploys of an app',
  usage: `Usage: ferry resume --env <env> --app <app> [flags]

A rollback holds automatic (policy) deploys of the app in that environment; this lets them continue.
A deliberate \`ferry deploy\` lifts the hold too.

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values } = parseFlags(NAME, args, OPTIONS);
    const body = { env: requireFlag(NAME, 'env', values.env), app: requireFlag(NAME, 'app', values.app) };
    const result = await connect(values, io).post<unknown>('/api/resume', body);
    if (wantsJson(values.output)) return printJson(io.stdout, result);
    io.stdout.write(`${body.env}/${body.app}: automatic deploys resumed\n`);
  },
};
