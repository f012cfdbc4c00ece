import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

/** Flags several commands share; spread into a command's options so `--help` and parsing agree. */
const CONNECTION_OPTIONS = { server: { type: 'string' }, token: { type: 'string' } } as const;
const OUTPUT_OPTION = { output: { type: 'string', short: 'o' } } as const;
const WAIT_OPTIONS = { wait: { type: 'boolean' }, timeout: { type: 'string' } } as const;

export type HelpRow = readonly [flag: string, meaning: string];

const CONNECTION_HELP: HelpRow[] = [
  ['--server <url>', 'Ferry server (default $FERRY_SERVER, then $GIMLET_SERVER)'],
  ['--token <token>', 'API token (default $FERRY_TOKEN, then $GIMLET_TOKEN); prefer the variable'],
];
const OUTPUT_HELP: HelpRow[] = [['-o, --output json', 'print the JSON answer instead of text']];
const WAIT_HELP: HelpRow[] = [
  ['--wait', 'follow the request, one line per state, until it ends'],
  ['--timeout <d>', 'give up waiting after 90s, 10m, 1h (default 10m); exit 3'],
];

/** The flags every command that talks to the server takes. */
export const BASE_OPTIONS = { ...CONNECTION_OPTIONS, ...OUTPUT_OPTION } as const;
export const BASE_HELP: HelpRow[] = [...OUTPUT_HELP, ...CONNECTION_HELP];

/** The flags of the commands about one request (deploy, rollback, delete, track). */
export const REQUEST_OPTIONS = { ...BASE_OPTIONS, ...WAIT_OPTIONS } as const;

/** `--env` and `--app`, which most commands take. */
export const TARGET_OPTIONS = { env: { type: 'string' }, app: { type: 'string' } } as const;
export function targetHelp(app: 'required' | 'optional'): HelpRow[] {
  return [
    ['--env <env>', 'environment (required)'],
    ['--app <app>', app === 'required' ? 'app (required)' : 'only this app'],
  ];
}
export const REQUEST_HELP: HelpRow[] = [...WAIT_HELP, ...BASE_HELP];

/** Flag lines in one aligned column, whichever command they come from. */
export function flagHelp(rows: readonly HelpRow[]): string {
  return rows.map(([flag, meaning]) => `  ${flag.padEnd(23)}${meaning}`).join('\n');
}

// node:util exports the config type but not its options map.
type FlagOptions = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<const O extends FlagOptions>(
  command: string,
  args: string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    // Node's messages go on with advice about `--`; the first sentence says what is wrong.
    const first = (error as Error).message.split('. ')[0];
    throw new UsageError(`${first} (see ferry ${command} --help)`);
  }
}

/** The one positional argument a command takes (`<what>` in its usage): missing or extra is a usage error. */
export function onePositional(command: string, positionals: readonly string[], what: string): string {
  const [value, ...extra] = positionals;
  if (value === undefined) throw new UsageError(`${command}: missing <${what}>`);
  if (extra.length > 0) throw new UsageError(`${command}: unexpected argument "${extra[0]}"`);
  return value;
}

export function requireFlag(command: string, flag: string, value: string | undefined): string {
  if (!value) throw new UsageError(`${command} needs --${flag} (see ferry ${command} --help)`);
  return value;
}

/** `-o json` or the default text; anything else is a typo worth stopping for. */
export function wantsJson(output: string | undefined): boolean {
  if (output === undefined || output === 'text') return false;
  if (output === 'json') return true;
  throw new UsageError(`--output must be json or text, got "${output}"`);
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Gimlet's `--timeout` words: `90s`, `10m`, `1h`. */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d+)([smh])$/.exec(text);
  if (!match) throw new UsageError(`--${flag} must look like 90s, 10m or 1h, got "${text}"`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
