import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { requestJson } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const SIGNING_SECRET = 'slack-signing-secret-for-tests';
const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

/** Slack's v0 scheme: HMAC-SHA256 over `v0:<timestamp>:<body>` with the signing secret. */
const slackSign = (body: string, timestamp: number, secret = SIGNING_SECRET) =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

const pad = (n: number) => String(n).padStart(2, '0');
/** The current UTC wall time shifted by `minutes`, as a window's `start` (timeZone UTC). */
const utcWall = (minutes: number) => {
  const d = new Date(Date.now() + minutes * 60_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
};

describe('release governance against the local stack', () => {
  let t: TestStack;
  const tokens: Record<string, string> = {};
  const as = (login: string) => (method: string, path: string, body?: unknown) =>
    requestJson(t.url, method, path, {
      token: tokens[login] as string,
      ...(body !== undefined ? { body } : {}),
    });

  const ship = (env: string, app: string, value: string, version: Record<string, unknown> = {}) =>
    t.ship(artifact(version, [{ app, env, manifests: configMap(app, value) }]));
  const deployAs = async (login: string, env: string, app: string, artifactId: string) => {
    const res = await as(login)('POST', '/api/releases', { env, app, artifactId });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const waitingOn = (id: string, kind: string) =>
    t.waitFor(id, (r) => r.state === 'waiting' && r.gate?.conditions?.some((c: any) => c.kind === kind));

  beforeAll(async () => {
    t = await startTestStack({ slackSigningSecret: SIGNING_SECRET, sweepEveryMs: 500 });
    for (const [login, role, extra] of [
      ['dora', 'deployer', { email: 'dora@example.com' }],
      ['carol', 'viewer', { groups: ['release-approvers'], slackUserId: 'UCAROL1' }],
      ['dave', 'deployer', { groups: ['release-approvers'], slackUserId: 'UDAVE01' }],
      ['frank', 'deployer', { groups: ['release-approvers'], email: 'frank@example.com' }],
      ['olga', 'viewer', { slackUserId: 'UOLGA01' }],
    ] as const) {
      const res = await t.request('POST', '/api/user', { body: { login, role, ...extra } });
      expect(res.status).toBe(201);
      tokens[login] = res.body.token;
    }
  }, 60_000);
  afterAll(async () => t?.close());

  it('stop-the-line holds queued requests and resume releases them in their original order', async () => {
    const shipped = await Promise.all(['1', '2', '3'].map((v) => ship('halted', 'web', v)));
    const halt = await as('dora')('POST', '/api/halts', { env: 'halted', reason: 'incident 42' });
    expect(halt).toMatchObject({ status: 201, body: { env: 'halted', by: 'dora', reason: 'incident 42' } });
    const ids: string[] = [];
    for (const a of shipped) ids.push(await deployAs('dora', 'halted', 'web', a.id));
    const first = await waitingOn(ids[0] as string, 'halt');
    expect(first.reason).toContain('environment halted stopped by dora');
    expect(first.reason).toContain('incident 42');
    expect(first.done).toBe(false);
    // The later ones wait too: for the halt, and behind the older request.
    const third = await waitingOn(ids[2] as string, 'halt');
    expect(third.gate.conditions.map((c: any) => c.kind)).toEqual(['halt', 'order']);
    expect(third.reason).toContain(`behind older request ${ids[0]} and 1 more`);
    const gov = await t.request('GET', '/api/governance');
    expect(gov.body.halts).toEqual([expect.objectContaining({ env: 'halted', reason: 'incident 42' })]);
    expect(gov.body.waiting.filter((w: any) => w.env === 'halted').map((w: any) => w.id)).toEqual(ids);
    const track = await t.request('GET', `/api/eventReleaseTrack?id=${ids[0]}`);
    expect(track.body).toMatchObject({
      status: 'new',
      statusDesc: expect.stringContaining('waiting: environment halted'),
    });

    const resumed = await as('dora')('DELETE', '/api/halts/halted');
    expect(resumed.status).toBe(200);
    const done = await t.settleAll(ids, 60_000);
    // In order: the first two are overwritten by the last, never the other way round.
    expect(done.map((r) => r.state)).toEqual(['committed', 'committed', 'committed']);
    const committedAt = done.map((r) => r.states.find((s: any) => s.state === 'committed').at);
    expect([...committedAt].sort()).toEqual(committedAt);
    const tree = t.clone();
    expect(tree.git('show', 'HEAD:halted/web/release.json')).toContain(shipped[2].id);
    const audit = await t.request('GET', '/api/audit?limit=50');
    expect(audit.body.map((e: any) => e.action)).toEqual(expect.arrayContaining(['env.halt', 'env.resume']));
  }, 90_000);

  it('a freeze window holds a release with the time it opens; ending the window lets it proceed', async () => {
    const window = await t.request('POST', '/api/freezes', {
      body: {
        id: 'now',
        env: 'frozen',
        reason: 'launch day',
        timeZone: 'UTC',
        start: utcWall(-60),
        duration: 'PT3H',
      },
    });
    expect(window.status).toBe(201);
    const a = await ship('frozen', 'web', '1');
    const id = await deployAs('dora', 'frozen', 'web', a.id);
    const held = await waitingOn(id, 'freeze');
    const until = held.gate.conditions[0].until;
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(100 * 60_000);
    expect(held.reason).toContain(`freeze window now (launch day) until ${until}`);
    // Policy releases wait like manual ones.
    const rule = await t.request('POST', '/api/policies', {
      body: { kind: 'auto-release', env: 'frozen', app: 'web', branch: 'main' },
    });
    expect(rule.status).toBe(201);
    const policyShipped = await ship('frozen', 'web', '2');
    const track = async () =>
      (await t.request('GET', `/api/eventArtifactTrack?artifactId=${policyShipped.id}`)).body;
    let policyId: string | undefined;
    for (let i = 0; i < 100 && !policyId; i++) {
      policyId = (await t.request('GET', '/api/governance')).body.waiting.find(
        (w: any) => w.triggeredBy === 'policy',
      )?.id;
      if (!policyId) await new Promise((r) => setTimeout(r, 100));
    }
    expect(policyId).toBeDefined();
    expect((await track()).status).toBe('new');
    const deleted = await t.request('DELETE', '/api/freezes/now');
    expect(deleted.status).toBe(200);
    const [manual, policy] = await t.settleAll([id, policyId as string], 60_000);
    expect(manual.state).toBe('committed');
    expect(policy.state).toBe('committed');
  }, 90_000);

  it('an admin override lets one release through a freeze, audited', async () => {
    await t.request('POST', '/api/freezes', {
      body: {
        id: 'long',
        env: 'override',
        reason: 'year end',
        timeZone: 'UTC',
        start: utcWall(-5),
        duration: 'P2D',
      },
    });
    const a = await ship('override', 'web', '1');
    const id = await deployAs('dora', 'override', 'web', a.id);
    await waitingOn(id, 'freeze');
    const refused = await as('dora')('POST', `/api/releases/${id}/override`, { reason: 'hotfix' });
    expect(refused.status).toBe(403);
    const missing = await t.request('POST', `/api/releases/${id}/override`, { body: {} });
    expect(missing).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('reason') } },
    });
    const ok = await t.request('POST', `/api/releases/${id}/override`, {
      body: { reason: 'hotfix for CVE' },
    });
    expect(ok.status).toBe(200);
    expect((await t.settle(id, 30_000)).state).toBe('committed');
    const audit = await t.request('GET', '/api/audit?limit=50');
    expect(audit.body).toContainEqual(
      expect.objectContaining({
        action: 'release.override',
        actor: 'admin',
        target: id,
        detail: expect.objectContaining({ reason: 'hotfix for CVE' }),
      }),
    );
  }, 60_000);

  describe('approvals', () => {
    beforeAll(async () => {
      const rule = await t.request('POST', '/api/approval-rules', {
        body: { env: 'approved', required: 2, group: 'release-approvers', expiresAfter: 'PT1H' },
      });
      expect(rule.status).toBe(201);
    });

    it('waits for 2 of the group, refuses self-approval and outsiders, then proceeds', async () => {
      const a = await ship('approved', 'web', '1', { authorName: 'Frank', authorEmail: 'frank@example.com' });
      const id = await deployAs('dora', 'approved', 'web', a.id);
      const held = await waitingOn(id, 'approval');
      expect(held.reason).toContain('approvals 0 of 2 from release-approvers');
      const self = await as('frank')('POST', `/api/releases/${id}/approve`);
      expect(self).toMatchObject({
        status: 403,
        body: { error: { message: `no self-approval: frank authored commit ${a.version.sha.slice(0, 8)}` } },
      });
      const outsider = await as('olga')('POST', `/api/releases/${id}/approve`);
      expect(outsider).toMatchObject({
        status: 403,
        body: { error: { message: expect.stringContaining('not in group release-approvers') } },
      });
      const one = await as('carol')('POST', `/api/releases/${id}/approve`, { comment: 'looks fine' });
      expect(one.body).toMatchObject({ approvals: 1, required: 2, state: 'waiting' });
      expect((await t.request('GET', `/api/releases/${id}`)).body.reason).toContain('approvals 1 of 2');
      const two = await as('dave')('POST', `/api/releases/${id}/approve`);
      expect(two.body).toMatchObject({ approvals: 2, required: 2 });
      expect((await t.settle(id, 30_000)).state).toBe('committed');
    }, 60_000);

    it('refuses the requester', async () => {
      const a = await ship('approved', 'api', '1');
      const id = await deployAs('dave', 'approved', 'api', a.id);
      await waitingOn(id, 'approval');
      const self = await as('dave')('POST', `/api/releases/${id}/approve`);
      expect(self).toMatchObject({
        status: 403,
        body: { error: { message: 'no self-approval: dave requested this release' } },
      });
    }, 30_000);

    it('lets a rejection win: the request fails with who rejected and why', async () => {
      const a = await ship('approved', 'worker', '1');
      const id = await deployAs('dora', 'approved', 'worker', a.id);
      await waitingOn(id, 'approval');
      await as('carol')('POST', `/api/releases/${id}/approve`);
      const no = await as('dave')('POST', `/api/releases/${id}/reject`, { comment: 'breaks the API' });
      expect(no.status).toBe(200);
      const failed = await t.settle(id, 30_000);
      expect(failed).toMatchObject({ state: 'failed', reason: 'rejected by dave: breaks the API' });
      const again = await as('frank')('POST', `/api/releases/${id}/approve`);
      expect(again.status).toBe(409);
    }, 30_000);

    describe('from Slack buttons', () => {
      const press = (body: string, headers: Record<string, string>) =>
        requestJson(t.url, 'POST', '/api/slack/interactions', {
          rawBody: body,
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        });
      const form = (user: string, action: string, requestId: string) =>
        `payload=${encodeURIComponent(
          JSON.stringify({
            type: 'block_actions',
            user: { id: user },
            actions: [{ action_id: action, value: requestId }],
          }),
        )}`;
      const signed = (body: string, ts = Math.floor(Date.now() / 1000), secret?: string) => ({
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': slackSign(body, ts, secret),
      });

      it('approves with a good signature as the linked Ferry user; refuses bad and stale signatures', async () => {
        const a = await ship('approved', 'slacked', '1');
        const id = await deployAs('dora', 'approved', 'slacked', a.id);
        await waitingOn(id, 'approval');
        const carol = form('UCAROL1', 'ferry-approve', id);
        const bad = await press(carol, signed(carol, undefined, 'wrong-secret'));
        expect(bad).toMatchObject({
          status: 401,
          body: { error: { message: expect.stringContaining('does not match') } },
        });
        const stale = await press(carol, signed(carol, Math.floor(Date.now() / 1000) - 6 * 60));
        expect(stale).toMatchObject({
          status: 401,
          body: { error: { message: expect.stringContaining('five minutes') } },
        });
        const unsigned = await press(carol, {});
        expect(unsigned.status).toBe(401);
        const tampered = await press(form('UDAVE01', 'ferry-approve', id), signed(carol));
        expect(tampered.status).toBe(401);
        const unknown = form('UNOBODY', 'ferry-approve', id);
        expect((await press(unknown, signed(unknown))).status).toBe(403);
        expect((await t.request('GET', `/api/releases/${id}`)).body.state).toBe('waiting');

        const good = await press(carol, signed(carol));
        expect(good).toMatchObject({ status: 200, body: { decision: 'approve', approvals: 1, required: 2 } });
        const dave = form('UDAVE01', 'ferry-approve', id);
        expect((await press(dave, signed(dave))).body).toMatchObject({ approvals: 2 });
        expect((await t.settle(id, 30_000)).state).toBe('committed');
        const audit = await t.request('GET', '/api/audit?limit=80');
        expect(audit.body).toContainEqual(
          expect.objectContaining({
            action: 'release.approve',
            actor: 'carol',
            target: id,
            detail: expect.objectContaining({ via: 'slack' }),
          }),
        );
      }, 60_000);

      it('rejects from Slack', async () => {
        const a = await ship('approved', 'slacked2', '1');
        const id = await deployAs('dora', 'approved', 'slacked2', a.id);
        await waitingOn(id, 'approval');
        const body = form('UDAVE01', 'ferry-reject', id);
        expect((await press(body, signed(body))).status).toBe(200);
        expect(await t.settle(id, 30_000)).toMatchObject({ state: 'failed', reason: 'rejected by dave' });
      }, 30_000);
    });
  });

  it('refuses bad governance input with a 4xx naming the field', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/api/halts', { env: 'Prod', reason: 'x' }, 400, 'env'],
      [
        'POST',
        '/api/freezes',
        { env: 'x', reason: 'r', start: '2026-13-01T00:00', duration: 'PT1H' },
        400,
        'start',
      ],
      [
        'POST',
        '/api/freezes',
        { env: 'x', reason: 'r', start: '2026-12-01T00:00', duration: 'PT1H', rrule: 'FREQ=HOURLY' },
        400,
        'rrule',
      ],
      ['POST', '/api/approval-rules', { env: 'x', required: 2 }, 400, 'group'],
      ['DELETE', '/api/halts/nothing', undefined, 404, 'not stopped'],
      ['POST', '/api/releases/nope/approve', {}, 404, 'not found'],
    ];
    for (const [method, path, body, status, message] of cases) {
      const res = await t.request(method, path, body === undefined ? {} : { body });
      expect({ path, status: res.status }).toEqual({ path, status });
      expect(res.body.error.message).toContain(message);
    }
  });
});
