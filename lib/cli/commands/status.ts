import type { FreezeWindow, Halt } from '../../domain/gate.ts';
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
import { printJson, releaseLine } from '../format.ts';

const NAME = 'status';

interface GateSummary {
  halts: Halt[];
  freezes: (Pick<FreezeWindow, 'env' | 'app' | 'reason'> & { active: { end: string } | null })[];
}
const OPTIONS = {
  ...BASE_OPTIONS,
  ...TARGET_OPTIONS,
} as const;

const FLAGS: HelpRow[] = [...targetHelp('optional'), ...BASE_HELP];

export const status: Command = {
  name: NAME,
  summary: 'what is released in an environment now, app by app',
  usage: `Usage: ferry status --env <env> [--app <app>] [flags]

One line per app:
  <app>  <gitops commit>  <artifact sha> <branch or tag>  by <who>  <time>  [ON HOLD (by x: reason)]
or \`<app>  not deployed\`.

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values } = parseFlags(NAME, args, OPTIONS);
    const env = requireFlag(NAME, 'env', values.env);
    const json = wantsJson(values.output);
    const client = connect(values, io);
    const apps = await client.get<Record<string, Release | null>>('/api/status', {
      env,
      app: values.app,
    });
    if (json) return printJson(io.stdout, apps);
    // Stop-the-line and freezes first: whatever is listed below will not change while they hold.
    const gate = await client.get<GateSummary>('/api/governance');
    for (const h of gate.halts.filter((h) => h.env === env || h.env === '*'))
      io.stdout.write(`STOPPED by ${h.by} at ${h.at}: ${h.reason}\n`);
    for (const f of gate.freezes.filter((f) => f.active && (f.env === env || f.env === '*')))
      io.stdout.write(`FROZEN${f.app ? ` (${f.app})` : ''} until ${f.active?.end}: ${f.reason}\n`);
    const names = Object.keys(apps).sort();
    if (names.length === 0) io.stderr.write(`ferry: nothing released in ${env}\n`);
    for (const app of names) {
      const release = apps[app];
      io.stdout.write(`${release ? releaseLine(app, release) : `${app}  not deployed`}\n`);
    }
  },
};
