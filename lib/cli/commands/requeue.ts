import { BASE_HELP, BASE_OPTIONS, flagHelp, type HelpRow, parseFlags, wantsJson } from '../args.ts';
import { connect } from '../client.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { printJson } from '../format.ts';

const NAME = 'requeue';
const OPTIONS = { ...BASE_OPTIONS } as const;
const FLAGS: HelpRow[] = [...BASE_HELP];

export const requeue: Command = {
  name: NAME,
  summary: 'request a failed release again (e.g. one parked in the dead-letter queue)',
  usage: `Usage: ferry requeue <request-id> [flags]

A request that failed before committing (its write was parked in the dead-letter queue, or the remote
refused it) is requested again as a new request with the same intent, target and artifact. The failed
one stays failed; the new one names it as its cause. Prints the new request id.

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(NAME, args, OPTIONS, true);
    const [id, ...extra] = positionals;
    if (!id || extra.length > 0) throw new UsageError(`${NAME}: give exactly one request id`);
    const result = await connect(values, io).post<{ id: string }>(
      `/api/releases/${encodeURIComponent(id)}/requeue`,
      {},
    );
    if (wantsJson(values.output)) return printJson(io.stdout, result);
    io.stdout.write(`${result.id}\n`);
  },
};
