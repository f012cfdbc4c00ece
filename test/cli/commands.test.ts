import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeServer, type Recorded, runCli, startFakeServer, TOKEN } from './helpers.ts';

const VERSION = {
  repositoryName: 'acme/shop',
  sha: '9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b',
  branch: 'main',
  event: 'push',
};
const RELEASE = {
  app: 'shop',
  env: 'staging',
  artifactId: 'acme/shop-1',
  triggeredBy: 'policy',
  version: VERSION,
  gitopsRef: '1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d',
  gitopsRepo: 'acme/gitops',
  created: 1763800000,
};

describe('ferry commands against a server', () => {
  let server: FakeServer;
  let env: Record<string, string>;
  const last = (): Recorded => server.requests.at(-1) as Recorded;

  beforeAll(async () => {
    server = await startFakeServer((req) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        // A careless server that echoes the credential back: the CLI still must not print it.
        const message = `unknown token ${req.headers.authorization?.slice(7)}`;
        return { status: 401, body: { error: { code: 'unauthenticated', message } } };
      }
      if (req.url.startsWith('/api/status')) {
        const hold = { by: 'bob', at: '2026-11-22T09:00:00Z', reason: 'incident 42' };
        return { status: 200, body: { web: null, shop: { ...RELEASE, hold } } };
      }
      if (req.url === '/api/governance') {
        const halt = { env: 'staging', by: 'dora', at: '2026-11-22T10:00:00Z', reason: 'incident 43' };
        return { status: 200, body: { halts: [halt], freezes: [], approvalRules: [], waiting: [] } };
      }
      if (req.url.startsWith('/api/releases?')) {
        const tagged = { ...RELEASE, version: { ...VERSION, event: 'tag', tag: 'v1.2.0' }, rolledBack: true };
        return { status: 200, body: [RELEASE, tagged] };
      }
      if (req.url === '/api/rollback' && req.body.sha === 'nope') {
        return { status: 404, body: { error: { code: 'not_found', message: 'no gitops commit nope' } } };
      }
      return { status: 201, body: { id: 'req-1' } };
    });
    env = { FERRY_SERVER: `${server.url}/`, FERRY_TOKEN: TOKEN };
  });
  afterAll(() => server.close());

  it('deploy POSTs {env, app, artifactId} with the idempotency key and prints the id', async () => {
    const args = ['deploy', '--env', 'staging', '--app', 'shop', '--artifact', 'acme/shop-1'];
    const run = await runCli([...args, '--idempotency-key', 'run-7'], { env });
    expect(run).toEqual({ code: 0, stdout: 'req-1\n', stderr: '' });
    expect(last()).toMatchObject({
      method: 'POST',
      url: '/api/releases',
      body: { env: 'staging', app: 'shop', artifactId: 'acme/shop-1' },
      headers: { authorization: `Bearer ${TOKEN}`, 'idempotency-key': 'run-7' },
    });
  });

  it('deploy without --app leaves app out, and prints {id} with -o json', async () => {
    const run = await runCli(['deploy', '--env', 'staging', '--artifact', 'a-1', '-o', 'json'], { env });
    expect(JSON.parse(run.stdout)).toEqual({ id: 'req-1' });
    expect(last().body).toEqual({ env: 'staging', artifactId: 'a-1' });
    expect(last().headers).not.toHaveProperty('idempotency-key');
  });

  it('rollback and delete POST their JSON bodies', async () => {
    await runCli(['rollback', '--env', 'staging', '--app', 'shop', '--to', '1a2b3c4d'], { env });
    expect(last()).toMatchObject({
      url: '/api/rollback',
      body: { env: 'staging', app: 'shop', sha: '1a2b3c4d' },
    });
    const run = await runCli(['delete', '--env', 'staging', '--app', 'shop'], { env });
    expect(run.stdout).toBe('req-1\n');
    expect(last()).toMatchObject({ url: '/api/delete', body: { env: 'staging', app: 'shop' } });
  });

  it('releases prints one line per release and passes the filters as query parameters', async () => {
    const run = await runCli(
      ['releases', '--env', 'staging', '--app', 'shop', '--limit', '2', '--since', '2026-01-01T00:00:00Z'],
      { env },
    );
    expect(run.code).toBe(0);
    expect(last().url).toBe('/api/releases?env=staging&app=shop&limit=2&since=2026-01-01T00%3A00%3A00Z');
    expect(run.stdout.split('\n')).toEqual([
      'staging/shop  1a2b3c4d  9f2c1e4b main  by policy  2025-11-22T08:26:40.000Z',
      'staging/shop  1a2b3c4d  9f2c1e4b v1.2.0  by policy  2025-11-22T08:26:40.000Z  [ROLLED BACK]',
      '',
    ]);
  });

  it('status prints a stopped environment, then one line per app, sorted, with holds and apps not deployed', async () => {
    const run = await runCli(['status', '--env', 'staging'], { env });
    expect(run.stdout).toBe(
      'STOPPED by dora at 2026-11-22T10:00:00Z: incident 43\n' +
        'shop  1a2b3c4d  9f2c1e4b main  by policy  2025-11-22T08:26:40.000Z  ON HOLD (by bob: incident 42)\n' +
        'web  not deployed\n',
    );
    const json = await runCli(['status', '--env', 'staging', '-o', 'json'], { env });
    expect(JSON.parse(json.stdout)).toHaveProperty('web', null);
  });

  it('prints the server error message and status, and exits 1', async () => {
    const run = await runCli(['rollback', '--env', 'staging', '--app', 'shop', '--to', 'nope'], { env });
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'ferry: no gitops commit nope (HTTP 404)\n' });
  });

  it('never prints the token, even when the server echoes it', async () => {
    const wrong = `${TOKEN}-revoked`;
    const run = await runCli(['status', '--env', 'staging', '--token', wrong], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('ferry: unknown token *** (HTTP 401)\n');
    expect(run.stderr + run.stdout).not.toContain(TOKEN);
  });

  it('takes --server and --token over FERRY_*, and FERRY_* over GIMLET_*', async () => {
    const gimlet = { GIMLET_SERVER: server.url, GIMLET_TOKEN: 'old-gimlet-token' };
    const fromFlags = await runCli(['delete', '--env', 'e', '--app', 'a', '--token', TOKEN], { env: gimlet });
    expect(fromFlags.code).toBe(0);
    const fromFerry = await runCli(['delete', '--env', 'e', '--app', 'a'], {
      env: { ...gimlet, FERRY_TOKEN: TOKEN },
    });
    expect(fromFerry.code).toBe(0);
  });

  it('exits 1 naming the server when it cannot be reached', async () => {
    // Prepare: a port that was just free and now has nobody listening.
    const gone = await startFakeServer(() => ({ status: 200 }));
    await gone.close();
    // Act
    const run = await runCli(['status', '--env', 'staging'], {
      env: { FERRY_SERVER: gone.url, FERRY_TOKEN: TOKEN },
    });
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^ferry: cannot reach ${gone.url}: .*ECONNREFUSED`));
    expect(run.stderr).not.toContain(TOKEN);
  });
});

describe('usage errors exit 2 before anything is sent', () => {
  const env = { FERRY_SERVER: 'http://127.0.0.1:9', FERRY_TOKEN: TOKEN };

  it.each([
    [[], 'missing command (see ferry help)'],
    [['ship'], 'unknown command "ship" (see ferry help)'],
    [['artifact'], 'unknown command "artifact" (see ferry help)'],
    [['deploy', '--artifact', 'a'], 'deploy needs --env (see ferry deploy --help)'],
    [
      ['deploy', '--env', 'e', '--artifact', 'a', '--colour'],
      "Unknown option '--colour' (see ferry deploy --help)",
    ],
    [
      ['deploy', '--env', 'e', '--artifact', 'a', 'extra'],
      "Unexpected argument 'extra' (see ferry deploy --help)",
    ],
    [
      ['deploy', '--env', 'e', '--artifact', 'a', '--wait', '--timeout', '10 minutes'],
      '--timeout must look like 90s, 10m or 1h, got "10 minutes"',
    ],
    [['rollback', '--env', 'e', '--app', 'a'], 'rollback needs --to (see ferry rollback --help)'],
    [['releases', '--env', 'e', '-o', 'yaml'], '--output must be json or text, got "yaml"'],
    [
      ['releases', '--env', 'e', '--since', 'yesterday'],
      '--since: must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got "yesterday"',
    ],
    [['releases', '--env', 'e', '--limit', '0'], '--limit must be a positive number, got "0"'],
    [['track'], 'track needs exactly one request id (see ferry track --help)'],
    [['artifact', 'push', '--field', 'novalue'], '--field must look like name=url, got "novalue"'],
  ])('ferry %j', async (argv, message) => {
    const run = await runCli(argv, { env });
    expect(run).toEqual({ code: 2, stdout: '', stderr: `ferry: ${message}\n` });
  });

  it('names the variables when no server or token is configured', async () => {
    const run = await runCli(['status', '--env', 'staging'], { env: { GIMLET_SERVER: 'http://x' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'ferry: no token: set FERRY_SERVER and FERRY_TOKEN (or GIMLET_SERVER and GIMLET_TOKEN), or pass --server and --token\n',
    );
  });

  it('checks FERRY_POLL_INTERVAL_MS before submitting', async () => {
    const run = await runCli(['delete', '--env', 'e', '--app', 'a', '--wait'], {
      env: { ...env, FERRY_POLL_INTERVAL_MS: 'fast' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('FERRY_POLL_INTERVAL_MS');
  });
});

describe('help', () => {
  it("lists every command for ferry help, and a command's flags for --help", async () => {
    const overview = await runCli(['help']);
    expect(overview.code).toBe(0);
    for (const name of ['artifact push', 'deploy', 'rollback', 'delete', 'releases', 'status', 'track']) {
      expect(overview.stdout).toContain(`\n  ${name} `);
    }
    const deploy = await runCli(['deploy', '--help']);
    expect(deploy.stdout).toMatch(/^Usage: ferry deploy/);
    expect(deploy.stdout).toContain('--idempotency-key');
    expect((await runCli(['help', 'artifact', 'push'])).stdout).toContain('.gimlet/vars');
  });
});
