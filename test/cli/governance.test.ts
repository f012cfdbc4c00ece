import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { runCli } from './helpers.ts';

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n';

describe('ferry governance commands against the local stack', () => {
  let t: TestStack;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await startTestStack();
    env = { FERRY_SERVER: t.url, FERRY_TOKEN: t.adminToken };
  }, 60_000);
  afterAll(async () => t?.close());

  it('stop holds a release, status and governance show why, start lets it go', async () => {
    expect((await runCli(['stop', 'cli', '--reason', 'db migration'], { env })).code).toBe(0);
    const shipped = await t.ship(artifact({}, [{ app: 'web', env: 'cli', manifests: CM }]));
    const deployed = await runCli(['deploy', '--env', 'cli', '--app', 'web', '--artifact', shipped.id], {
      env,
    });
    const id = deployed.stdout.trim();
    await t.waitFor(id, (r) => r.state === 'waiting');
    const status = await runCli(['status', '--env', 'cli'], { env });
    expect(status.stdout).toMatch(/^STOPPED by admin at \S+: db migration\n/);
    const overview = await runCli(['governance'], { env });
    expect(overview.stdout).toContain('STOPPED  cli  by admin');
    expect(overview.stdout).toContain(
      `waiting  ${id}  deploy cli/web by admin: environment cli stopped by admin`,
    );
    const started = await runCli(['start', 'cli'], { env });
    expect(started).toMatchObject({ code: 0, stdout: 'cli: resumed; 1 waiting release(s) released\n' });
    expect((await t.settle(id, 30_000)).state).toBe('committed');
  }, 60_000);

  it('freeze add, approval-rule set, approve and reject speak to the API', async () => {
    const added = await runCli(
      [
        'freeze',
        'add',
        '--env',
        'cli2',
        '--id',
        'weekly',
        '--reason',
        'weekend',
        '--tz',
        'Europe/Berlin',
      ].concat(['--start', '2026-01-02T16:00', '--duration', 'P2DT16H', '--rrule', 'FREQ=WEEKLY;BYDAY=FR']),
      { env },
    );
    expect(added).toMatchObject({ code: 0, stdout: 'weekly\n' });
    const listed = await runCli(['governance'], { env });
    expect(listed.stdout).toMatch(/freeze weekly {2}cli2 {2}(FROZEN until|next) /);
    expect((await runCli(['freeze', 'delete', 'weekly'], { env })).stdout).toBe('deleted weekly\n');
    const bad = await runCli(['freeze', 'add', '--env', 'cli2', '--reason', 'x', '--start', 'friday'], {
      env,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('start');
    const rule = await runCli(
      ['approval-rule', 'set', '--env', 'cli2', '--required', '1', '--group', 'approvers'],
      {
        env,
      },
    );
    expect(rule.stdout).toBe('cli2: 1 approval(s) from approvers\n');
    const shipped = await t.ship(artifact({}, [{ app: 'web', env: 'cli2', manifests: CM }]));
    const id = (
      await runCli(['deploy', '--env', 'cli2', '--app', 'web', '--artifact', shipped.id], { env })
    ).stdout.trim();
    await t.waitFor(id, (r) => r.state === 'waiting');
    const self = await runCli(['approve', id], { env });
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('not in group approvers');
    const made = await t.request('POST', '/api/user', {
      body: { login: 'rita', role: 'viewer', groups: ['approvers'] },
    });
    const rita = { ...env, FERRY_TOKEN: made.body.token };
    const rejected = await runCli(['reject', id, '--comment', 'not today'], { env: rita });
    expect(rejected.stdout).toBe(`${id}: rejected; failed\n`);
    expect((await t.settle(id)).reason).toBe('rejected by rita: not today');
  }, 60_000);
});
