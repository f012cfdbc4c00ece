import { flagHelp, parseFlags, REQUEST_HELP, REQUEST_OPTIONS, wantsJson } from '../args.ts';
import { connect } from '../client.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { followOptions, followRequest } from '../wait.ts';

const NAME = 'track';

export const track: Command = {
  name: NAME,
  summary: 'show the states of a deploy, rollback or delete request',
  usage: `Usage: ferry track <request id> [--wait] [--timeout 10m] [flags]

Prints one line per state the request went through:
  requested  <time> | queued | committed  gitops <sha> | unchanged  <reason> |
  superseded  <reason> | reconciling | succeeded | failed  <reason>
Exits 1 if the request failed. With --wait, keeps polling until the request is done.

${flagHelp(REQUEST_HELP)}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(NAME, args, REQUEST_OPTIONS, true);
    const [id, extra] = positionals;
    if (!id || extra !== undefined) {
      throw new UsageError('track needs exactly one request id (see ferry track --help)');
    }
    const follow = followOptions(values, wantsJson(values.output), io.env);
    await followRequest(connect(values, io), id, follow, io);
  },
};
