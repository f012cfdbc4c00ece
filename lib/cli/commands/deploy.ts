import { compact } from '../../domain/validate.ts';
import { flagHelp, type HelpRow, parseFlags, REQUEST_HELP, REQUEST_OPTIONS, requireFlag } from '../args.ts';
import type { Command } from '../command.ts';
import { printDryRun, submitRequest } from '../submit.ts';

const NAME = 'deploy';
const OPTIONS = {
  ...REQUEST_OPTIONS,
  env: { type: 'string' },
  app: { type: 'string' },
  artifact: { type: 'string' },
  'idempotency-key': { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

const FLAGS: HelpRow[] = [
  ['--env <env>', 'target environment (required)'],
  ['--artifact <id>', 'artifact id from `ferry artifact push` (required)'],
  ['--app <app>', 'only this app of the artifact'],
  ['--idempotency-key <k>', 'the same key twice creates one release (safe CI retries)'],
  ['--dry-run', 'write nothing: print the diff against what <env> holds now'],
  ...REQUEST_HELP,
];

export const deploy: Command = {
  name: NAME,
  summary: 'release an artifact to an environment',
  usage: `Usage: ferry deploy --env <env> --artifact <id> [--app <app>] [flags]

Releases the artifact's manifest for <env> (only <app>'s with --app). Prints the request id.

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values } = parseFlags(NAME, args, OPTIONS);
    const env = requireFlag(NAME, 'env', values.env);
    const artifactId = requireFlag(NAME, 'artifact', values.artifact);
    const key = values['idempotency-key'];
    const body = compact({ env, app: values.app, artifactId });
    if (values['dry-run']) return printDryRun(values, io, body);
    await submitRequest(values, io, '/api/releases', body, key ? { 'Idempotency-Key': key } : {});
  },
};
