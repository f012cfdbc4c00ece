import {
  flagHelp,
  type HelpRow,
  parseFlags,
  REQUEST_HELP,
  REQUEST_OPTIONS,
  requireFlag,
  TARGET_OPTIONS,
  targetHelp,
} from '../args.ts';
import type { Command } from '../command.ts';
import { submitRequest } from '../submit.ts';

const NAME = 'rollback';
const OPTIONS = {
  ...REQUEST_OPTIONS,
  ...TARGET_OPTIONS,
  to: { type: 'string' },
} as const;

const FLAGS: HelpRow[] = [
  ...targetHelp('required'),
  ['--to <sha>', 'gitops commit to go back to (required)'],
  ...REQUEST_HELP,
];

export const rollback: Command = {
  name: NAME,
  summary: "put an app back to a gitops commit's version",
  usage: `Usage: ferry rollback --env <env> --app <app> --to <gitops sha> [flags]

Rolls <app> in <env> back to what the gitops commit <sha> held (see \`ferry releases\`). Prints the
request id.

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values } = parseFlags(NAME, args, OPTIONS);
    const body = {
      env: requireFlag(NAME, 'env', values.env),
      app: requireFlag(NAME, 'app', values.app),
      sha: requireFlag(NAME, 'to', values.to),
    };
    await submitRequest(values, io, '/api/rollback', body);
  },
};
