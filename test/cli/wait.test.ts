import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, type FakeServer, runCli, startFakeServer, TOKEN } from './helpers.ts';

const at = (second: number) => `2026-11-22T10:00:0${second}.000Z`;
const GITOPS = '1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d';

type Entry = { state: string; at: string; reason?: string; gitopsSha?: string };
const requested: Entry = { state: 'requested', at: at(0) };
const queued: Entry = { state: 'queued', at: at(1) };
const committed: Entry = { state: 'committed', at: at(2), gitopsSha: GITOPS };
const reconciling: Entry = { state: 'reconciling', at: at(3) };

/** A `GET /api/releases/{id}` answer whose current state is the last of `states`. */
function snapshot(id: string, states: Entry[], outcome?: 'success' | 'failure'): Answer {
  const last = states.at(-1) as Entry;
  const body = {
    id,
    intent: 'deploy',
    env: 'staging',
    app: 'shop',
    artifactId: 'acme/shop-1',
    triggeredBy: 'ada',
    state: last.state,
    reason: last.reason,
    gitopsSha: states.find((s) => s.gitopsSha)?.gitopsSha,
    states,
    createdAt: at(0),
    done: outcome !== undefined,
    outcome,
  };
  return { status: 200, body };
}

/** Each request id answers its script in order, one answer per poll, repeating the last one. */
const SCRIPTS: Record<string, Answer[]> = {
  // The second poll sees queued and committed at once: both are printed, in order.
  'req-ok': [
    snapshot('req-ok', [requested]),
    snapshot('req-ok', [requested, queued, committed]),
    snapshot('req-ok', [requested, queued, committed, reconciling]),
    snapshot(
      'req-ok',
      [requested, queued, committed, reconciling, { state: 'succeeded', at: at(4) }],
      'success',
    ),
  ],
  'req-failed': [
    snapshot('req-failed', [requested, queued]),
    snapshot(
      'req-failed',
      [
        requested,
        queued,
        committed,
        { state: 'failed', at: at(5), reason: 'HelmRelease shop: install retries exhausted' },
      ],
      'failure',
    ),
  ],
  'req-unchanged': [
    snapshot(
      'req-unchanged',
      [requested, queued, { state: 'unchanged', at: at(2), reason: 'staging/shop already has this content' }],
      'success',
    ),
  ],
  'req-slow': [snapshot('req-slow', [requested, queued, committed, reconciling])],
  'req-blip': [
    { status: 503, body: { error: { code: 'unavailable', message: 'try again' } } },
    snapshot(
      'req-blip',
      [requested, queued, committed, reconciling, { state: 'succeeded', at: at(4) }],
      'success',
    ),
  ],
};

describe('--wait', () => {
  let server: FakeServer;
  let env: Record<string, string>;
  const polls: Record<string, number> = {};

  beforeAll(async () => {
    server = await startFakeServer((req) => {
      if (req.method === 'POST' && req.url === '/api/releases')
        return { status: 201, body: { id: 'req-ok' } };
      const id = decodeURIComponent(req.url.replace('/api/releases/', ''));
      const script = SCRIPTS[id];
      if (!script)
        return { status: 404, body: { error: { code: 'not_found', message: `no request ${id}` } } };
      const n = polls[id] ?? 0;
      polls[id] = n + 1;
      return script[Math.min(n, script.length - 1)] as Answer;
    });
    env = { FERRY_SERVER: server.url, FERRY_TOKEN: TOKEN, FERRY_POLL_INTERVAL_MS: '20' };
  });
  afterAll(() => server.close());

  it('prints the id, then one line per state including states passed between polls, and exits 0', async () => {
    // Act
    const run = await runCli(['deploy', '--env', 'staging', '--artifact', 'acme/shop-1', '--wait'], { env });
    // Assess
    expect(run).toEqual({
      code: 0,
      stdout: [
        'req-ok',
        `requested  ${at(0)}`,
        'queued',
        'committed  gitops 1a2b3c4d',
        'reconciling',
        'succeeded',
        '',
      ].join('\n'),
      stderr: expect.stringMatching(/^ferry: done: deploy req-ok succeeded after \d+s\n$/),
    });
  });

  it('exits 1 with the reason when the request fails', async () => {
    const run = await runCli(['track', 'req-failed', '--wait'], { env });
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')).toEqual([
      `requested  ${at(0)}`,
      'queued',
      'committed  gitops 1a2b3c4d',
      'failed  HelmRelease shop: install retries exhausted',
      '',
    ]);
    expect(run.stderr).toBe('ferry: deploy req-failed failed: HelmRelease shop: install retries exhausted\n');
  });

  it('ends 0 on unchanged, saying why nothing was committed', async () => {
    const run = await runCli(['track', 'req-unchanged', '--wait'], { env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('\nunchanged  staging/shop already has this content\n');
  });

  it('exits 3 on timeout, each state printed once however many polls saw it', async () => {
    const started = Date.now();
    const run = await runCli(['track', 'req-slow', '--wait', '--timeout', '1s'], { env });
    expect(run.code).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(polls['req-slow']).toBeGreaterThan(5);
    expect(run.stdout).toBe(`requested  ${at(0)}\nqueued\ncommitted  gitops 1a2b3c4d\nreconciling\n`);
    expect(run.stderr).toBe('ferry: timed out after 1s waiting for req-slow (last state: reconciling)\n');
  });

  it('says every progress interval what it is still waiting for, with the time waited', async () => {
    const run = await runCli(['track', 'req-slow', '--wait', '--timeout', '1s'], {
      env: { ...env, FERRY_PROGRESS_INTERVAL_MS: '300' },
    });
    expect(run.code).toBe(3);
    const progress = run.stderr.split('\n').filter((l) => l.startsWith('ferry: still'));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(
      /^ferry: still reconciling after \d+s: waiting for Flux in staging to report on gitops 1a2b3c4d \(timeout 1s\)$/,
    );
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'ferry: timed out after 1s waiting for req-slow (last state: reconciling)',
    );
  });

  it('rides out a 503 while waiting', async () => {
    const run = await runCli(['track', 'req-blip', '--wait'], { env });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^ferry: try again \(HTTP 503\); still waiting\nferry: done: deploy req-blip succeeded after \d+s\n$/,
    );
    expect(run.stdout.trim().split('\n').at(-1)).toBe('succeeded');
  });

  it('prints only the final request as JSON with -o json', async () => {
    const run = await runCli(['track', 'req-failed', '--wait', '-o', 'json'], { env });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 'req-failed', done: true, outcome: 'failure' });
  });

  it('shows the states once and exits 0 without --wait, even if the request is still running', async () => {
    const run = await runCli(['track', 'req-slow'], { env });
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toHaveLength(5);
  });

  it('fails at once, exit 1, on a request the server does not know', async () => {
    const run = await runCli(['track', 'req-nope', '--wait'], { env });
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'ferry: no request req-nope (HTTP 404)\n' });
  });
});
