import { flagHelp, type HelpRow, parseFlags, wantsJson } from '../args.ts';
import type { CliIo, Command } from '../command.ts';
import { RequestError, UsageError } from '../errors.ts';
import { printJson } from '../format.ts';

const NAME = 'login';
const OPTIONS = {
  oidc: { type: 'boolean' },
  audience: { type: 'string' },
  server: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

const FLAGS: HelpRow[] = [
  ['--oidc', 'exchange the GitHub Actions OIDC token (needs `permissions: id-token: write`)'],
  ['--audience <aud>', 'the audience Ferry expects (default $FERRY_OIDC_AUDIENCE, then ferry)'],
  ['--server <url>', 'Ferry server (default $FERRY_SERVER, then $GIMLET_SERVER)'],
  ['-o, --output json', 'print the whole answer (token, role, environments, expiresAt)'],
];

const TIMEOUT_MS = 30_000;

export const login: Command = {
  name: NAME,
  summary: 'get a short-lived Ferry token for this GitHub Actions job (OIDC)',
  usage: `Usage: ferry login --oidc [flags]

Asks the runner for its OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN,
present when the workflow grants \`id-token: write\`) and exchanges it at POST /api/token/oidc for a
Ferry token scoped by the server's FERRY_OIDC_RULES. Prints the token: use it as FERRY_TOKEN.

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values } = parseFlags(NAME, args, OPTIONS);
    if (!values.oidc) throw new UsageError('login: only --oidc is supported');
    const server = (values.server || io.env.FERRY_SERVER || io.env.GIMLET_SERVER || '').replace(/\/+$/, '');
    if (!/^https?:\/\//.test(server)) {
      throw new UsageError('login: set FERRY_SERVER or pass --server (an http(s) URL)');
    }
    const audience = values.audience || io.env.FERRY_OIDC_AUDIENCE || 'ferry';
    const idToken = await requestIdToken(io, audience);
    const answer = await call(io, `${server}/api/token/oidc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token: idToken }),
    });
    const token = (answer as { token?: unknown }).token;
    if (typeof token !== 'string') throw new RequestError('the server answered without a token');
    if (wantsJson(values.output)) return printJson(io.stdout, answer);
    io.stdout.write(`${token}\n`);
  },
};

/** GitHub's runner API (what @actions/core getIDToken calls): GET the URL with `audience`, bearer auth. */
async function requestIdToken(io: CliIo, audience: string): Promise<string> {
  const url = io.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = io.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) {
    throw new UsageError(
      'login --oidc: no ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN; grant the job `permissions: id-token: write`',
    );
  }
  const target = new URL(url);
  target.searchParams.set('audience', audience);
  const answer = await call(io, target.toString(), {
    headers: { authorization: `bearer ${bearer}`, accept: 'application/json' },
  });
  const value = (answer as { value?: unknown }).value;
  if (typeof value !== 'string') throw new RequestError('the runner answered without an OIDC token');
  return value;
}

async function call(io: CliIo, url: string, init: RequestInit): Promise<unknown> {
  const fetchFn = io.fetch ?? fetch;
  let res: Response;
  try {
    res = await fetchFn(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new RequestError(`cannot reach ${new URL(url).origin}: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const message = (json as { error?: { message?: unknown } } | undefined)?.error?.message;
    throw new RequestError(
      `${typeof message === 'string' ? message : res.statusText} (HTTP ${res.status})`,
      res.status,
    );
  }
  if (json === undefined) throw new RequestError(`${new URL(url).origin} answered without JSON`);
  return json;
}
