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

const NAME = 'delete';
const OPTIONS = {
  ...REQUEST_OPTIONS,
  ...TARGET_OPTIONS,
} as const;

const FLAGS: HelpRow[] = [...targetHelp('required'), ...REQUEST_HELP];

export const deleteApp: Command = {
  name: NAME,
  summary: 'remove an app from an environment',
  usage: `Usage: ferry delete --env <env> --app <app> [flags]

Removes <app> from <env>'s gitops folder; Flux then deletes it from the cluster. Prints the request id.

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values } = parseFlags(NAME, args, OPTIONS);
    const body = { env: requireFlag(NAME, 'env', values.env), app: requireFlag(NAME, 'app', values.app) };
    await submitRequest(values, io, '/api/delete', body);
  },
};
