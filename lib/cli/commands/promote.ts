import { flagHelp, type HelpRow, parseFlags, REQUEST_HELP, REQUEST_OPTIONS, requireFlag } from '../args.ts';
import type { Command } from '../command.ts';
import { printDryRun, submitRequest } from '../submit.ts';

const NAME = 'promote';
const OPTIONS = {
  ...REQUEST_OPTIONS,
  app: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

const FLAGS: HelpRow[] = [
  ['--app <app>', 'the app to promote (required)'],
  ['--to <env>', 'the environment to release to (required)'],
  ['--from <env>', "where the artifact runs now (default: the one before --to in the install's chain)"],
  ['--dry-run', 'write nothing: print the diff against what <to> holds now'],
  ...REQUEST_HELP,
];

export const promote: Command = {
  name: NAME,
  summary: 'release what one environment runs to the next',
  usage: `Usage: ferry promote --app <app> --to <env> [--from <env>] [flags]

Releases the artifact <from>/<app> runs to <to>, rendered with <to>'s manifest from that artifact.
Without --from, the environment before <to> in the install's promotion chain. Prints the request id.

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values } = parseFlags(NAME, args, OPTIONS);
    const body = {
      env: requireFlag(NAME, 'to', values.to),
      app: requireFlag(NAME, 'app', values.app),
      fromEnv: values.from ?? 'previous',
    };
    if (values['dry-run']) return printDryRun(values, io, body);
    await submitRequest(values, io, '/api/releases', body);
  },
};
