import { ValidationError } from '../../domain/errors.ts';
import { rfc3339 } from '../../domain/validate.ts';
import type { Release } from '../api.ts';
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
import { UsageError } from '../errors.ts';
import { printJson, releaseLine } from '../format.ts';

const NAME = 'releases';
const OPTIONS = {
  ...BASE_OPTIONS,
  ...TARGET_OPTIONS,
  limit: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

const FLAGS: HelpRow[] = [
  ...targetHelp('optional'),
  ['--limit <n>', 'at most n releases (server default otherwise)'],
  ['--since <time>', 'not before this RFC 3339 time (2026-01-02T15:04:05Z)'],
  ['--until <time>', 'not after this RFC 3339 time'],
  ...BASE_HELP,
];

export const releases: Command = {
  name: NAME,
  summary: 'list past releases of an environment, newest first',
  usage: `Usage: ferry releases --env <env> [--app <app>] [--limit n] [--since t] [--until t] [flags]

One line per release:
  <env>/<app>  <gitops commit>  <artifact sha> <branch or tag>  by <who>  <time>  [ROLLED BACK]

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values } = parseFlags(NAME, args, OPTIONS);
    const env = requireFlag(NAME, 'env', values.env);
    const json = wantsJson(values.output);
    if (values.limit !== undefined && !/^[1-9]\d*$/.test(values.limit)) {
      throw new UsageError(`--limit must be a positive number, got "${values.limit}"`);
    }
    checkTime('since', values.since);
    checkTime('until', values.until);
    const list = await connect(values, io).get<Release[]>('/api/releases', {
      env,
      app: values.app,
      limit: values.limit,
      since: values.since,
      until: values.until,
    });
    if (json) return printJson(io.stdout, list);
    if (list.length === 0) io.stderr.write(`ferry: no releases in ${env}\n`);
    for (const release of list) io.stdout.write(`${releaseLine(`${release.env}/${release.app}`, release)}\n`);
  },
};

/** The server's own RFC 3339 reader, so the CLI refuses exactly what the server would. */
function checkTime(flag: string, value: string | undefined): void {
  if (value === undefined) return;
  try {
    rfc3339(value, `--${flag}`);
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(error.message);
    throw error;
  }
}
