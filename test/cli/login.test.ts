import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.ts';

/** `ferry login --oidc`: the runner's ID-token API, then Ferry's exchange (the server side: test/http/oidc.test.ts). */
const RUNNER = 'https://pipelines.example/idtoken?api-version=2.0';
const env = {
  FERRY_SERVER: 'https://ferry.example.com/',
  ACTIONS_ID_TOKEN_REQUEST_URL: RUNNER,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-bearer',
};

function fakeFetch(calls: { url: string; init: RequestInit }[], exchangeStatus = 201): typeof fetch {
  return (async (url: string | URL, init: RequestInit = {}) => {
    calls.push({ url: String(url), init });
    if (String(url).startsWith('https://pipelines.example/')) {
      return new Response(JSON.stringify({ value: 'the.oidc.jwt' }), { status: 200 });
    }
    if (exchangeStatus !== 201) {
      return new Response(
        JSON.stringify({ error: { code: 'forbidden', message: 'no OIDC rule grants repository evil/web' } }),
        {
          status: exchangeStatus,
        },
      );
    }
    return new Response(
      JSON.stringify({
        token: 'ferry_short',
        role: 'ci',
        environments: ['staging'],
        expiresAt: '2026-01-01T00:15:00Z',
      }),
      { status: 201 },
    );
  }) as typeof fetch;
}

describe('ferry login --oidc', () => {
  it('asks the runner for a token with the audience and exchanges it; prints the Ferry token', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const run = await runCli(['login', '--oidc', '--audience', 'https://ferry.example.com'], {
      env,
      fetch: fakeFetch(calls),
    });
    expect(run).toMatchObject({ code: 0, stdout: 'ferry_short\n' });
    const runnerUrl = new URL(calls[0]?.url ?? '');
    expect(runnerUrl.searchParams.get('api-version')).toBe('2.0');
    expect(runnerUrl.searchParams.get('audience')).toBe('https://ferry.example.com');
    expect(calls[0]?.init.headers).toMatchObject({ authorization: 'bearer runner-bearer' });
    expect(calls[1]?.url).toBe('https://ferry.example.com/api/token/oidc');
    expect(JSON.parse(String(calls[1]?.init.body))).toEqual({ token: 'the.oidc.jwt' });
    expect(calls[1]?.init.headers).not.toHaveProperty('authorization');
  });

  it('defaults the audience to ferry and prints JSON with -o json', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const run = await runCli(['login', '--oidc', '-o', 'json'], { env, fetch: fakeFetch(calls) });
    expect(new URL(calls[0]?.url ?? '').searchParams.get('audience')).toBe('ferry');
    expect(JSON.parse(run.stdout)).toMatchObject({ role: 'ci', environments: ['staging'] });
  });

  it('names the missing permission, and the server refusal', async () => {
    const missing = await runCli(['login', '--oidc'], { env: { FERRY_SERVER: env.FERRY_SERVER } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('id-token: write');
    const refused = await runCli(['login', '--oidc'], { env, fetch: fakeFetch([], 403) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no OIDC rule grants repository evil/web (HTTP 403)');
    expect((await runCli(['login'], { env })).code).toBe(2);
  });
});
