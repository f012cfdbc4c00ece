import { describe, expect, it } from 'vitest';
import type { Version } from '../../lib/domain/artifact.ts';
import {
  type ApprovalRule,
  type Decision,
  type FreezeWindow,
  type GateInput,
  gateVerdict,
  parseApprovalRule,
  parseFreeze,
  parseHalt,
  selfApproval,
} from '../../lib/domain/gate.ts';
import { advance, canMove, type ReleaseRequest } from '../../lib/domain/release.ts';

const NOW = new Date('2026-10-23T15:00:00Z'); // Friday 17:00 in Berlin (CEST)

const request = (over: Partial<ReleaseRequest> = {}): ReleaseRequest => ({
  id: 'r1',
  intent: 'deploy',
  env: 'production',
  app: 'web',
  triggeredBy: 'alice',
  createdAt: NOW.toISOString(),
  sequence: 2,
  state: 'queued',
  states: [],
  ...over,
});

const freeze = (over: Partial<FreezeWindow> = {}): FreezeWindow => ({
  id: 'weekend',
  env: 'production',
  reason: 'weekend freeze',
  timeZone: 'Europe/Berlin',
  start: '2026-01-02T16:00',
  duration: 'P2DT16H',
  rrule: 'FREQ=WEEKLY;BYDAY=FR',
  createdBy: 'admin',
  createdAt: NOW.toISOString(),
  ...over,
});

const rule: ApprovalRule = {
  env: 'production',
  required: 2,
  group: 'release-approvers',
  expiresAfter: 'PT4H',
  createdBy: 'admin',
  createdAt: NOW.toISOString(),
};

const approve = (login: string, at = NOW.toISOString()): Decision => ({ login, decision: 'approve', at });

const input = (over: Partial<GateInput> = {}): GateInput => ({
  request: request(),
  now: NOW,
  settings: { halts: [], freezes: [], approvalRules: [] },
  decisions: [],
  olderWaiting: [],
  ...over,
});

describe('the release gate', () => {
  it('lets a request through when nothing holds it', () => {
    expect(gateVerdict(input())).toEqual({ pass: true });
  });

  it('holds a deploy in a freeze window and says when the window opens', () => {
    const verdict = gateVerdict(input({ settings: { halts: [], freezes: [freeze()], approvalRules: [] } }));
    expect(verdict).toEqual({
      pass: false,
      conditions: [
        {
          kind: 'freeze',
          reason: 'freeze window weekend (weekend freeze) until 2026-10-26T07:00:00.000Z',
          until: '2026-10-26T07:00:00.000Z',
        },
      ],
    });
  });

  it('applies an app-specific window only to that app, and lets rollbacks and overrides through', () => {
    const settings = { halts: [], freezes: [freeze({ app: 'api' })], approvalRules: [] };
    expect(gateVerdict(input({ settings })).pass).toBe(true);
    const all = { halts: [], freezes: [freeze()], approvalRules: [] };
    expect(gateVerdict(input({ settings: all, request: request({ intent: 'rollback' }) })).pass).toBe(true);
    expect(
      gateVerdict(
        input({ settings: all, override: { by: 'admin', at: NOW.toISOString(), reason: 'hotfix' } }),
      ).pass,
    ).toBe(true);
  });

  it('holds every request of a stopped environment, and of all environments for *', () => {
    const halt = { env: 'production', by: 'bob', at: NOW.toISOString(), reason: 'incident 42' };
    const verdict = gateVerdict(input({ settings: { halts: [halt], freezes: [], approvalRules: [] } }));
    expect(verdict).toMatchObject({
      pass: false,
      conditions: [
        { kind: 'halt', reason: expect.stringContaining('environment production stopped by bob') },
      ],
    });
    expect(verdict).toMatchObject({ conditions: [{ reason: expect.stringContaining('incident 42') }] });
    const everything = { ...halt, env: '*' };
    expect(
      gateVerdict(
        input({
          request: request({ env: 'staging' }),
          settings: { halts: [everything], freezes: [], approvalRules: [] },
        }),
      ).pass,
    ).toBe(false);
    expect(
      gateVerdict(
        input({
          request: request({ env: 'staging' }),
          settings: { halts: [halt], freezes: [], approvalRules: [] },
        }),
      ).pass,
    ).toBe(true);
  });

  it('needs N of M approvals from the group, counting each person once', () => {
    const settings = { halts: [], freezes: [], approvalRules: [rule] };
    expect(gateVerdict(input({ settings, decisions: [approve('carol')] }))).toEqual({
      pass: false,
      conditions: [{ kind: 'approval', reason: 'approvals 1 of 2 from release-approvers' }],
    });
    expect(
      gateVerdict(
        input({ settings, decisions: [approve('carol'), approve('carol', '2026-10-23T14:59:00Z')] }),
      ).pass,
    ).toBe(false);
    expect(gateVerdict(input({ settings, decisions: [approve('carol'), approve('dave')] })).pass).toBe(true);
  });

  it('lets approvals expire', () => {
    const settings = { halts: [], freezes: [], approvalRules: [rule] };
    const old = approve('dave', '2026-10-23T10:59:00Z'); // 4 h 1 min ago
    expect(gateVerdict(input({ settings, decisions: [approve('carol'), old] })).pass).toBe(false);
    const fresh = approve('dave', '2026-10-23T11:01:00Z');
    expect(gateVerdict(input({ settings, decisions: [approve('carol'), fresh] })).pass).toBe(true);
  });

  it('lets a rejection win over any number of approvals', () => {
    const settings = { halts: [], freezes: [], approvalRules: [{ ...rule, required: 1 }] };
    const decisions: Decision[] = [
      approve('carol'),
      approve('dave'),
      { login: 'erin', decision: 'reject', at: NOW.toISOString(), comment: 'not during the sale' },
    ];
    expect(gateVerdict(input({ settings, decisions }))).toEqual({
      pass: false,
      rejected: 'rejected by erin: not during the sale',
    });
  });

  it('keeps a request behind an older waiting request of the same app, naming it', () => {
    const older = request({ id: 'r0', sequence: 1, state: 'waiting' });
    expect(gateVerdict(input({ olderWaiting: [older] }))).toMatchObject({
      pass: false,
      conditions: [{ kind: 'order', reason: expect.stringContaining('r0') }],
    });
  });

  it('lists every unmet condition at once', () => {
    const halt = { env: 'production', by: 'bob', at: NOW.toISOString(), reason: 'incident' };
    const verdict = gateVerdict(
      input({ settings: { halts: [halt], freezes: [freeze()], approvalRules: [rule] } }),
    );
    expect(
      verdict.pass === false && 'conditions' in verdict && verdict.conditions.map((c) => c.kind),
    ).toEqual(['halt', 'freeze', 'approval']);
  });
});

describe('self-approval', () => {
  const version = {
    sha: 'abcdef1234567890',
    authorName: 'Frank',
    authorEmail: 'frank@example.com',
  } as Version;

  it('refuses the requester and the commit author (by email or login)', () => {
    expect(selfApproval(request(), { login: 'alice' }, version)).toMatch(/alice requested/);
    expect(selfApproval(request(), { login: 'fk', email: 'FRANK@example.com' }, version)).toMatch(
      /authored commit abcdef12/,
    );
    expect(selfApproval(request(), { login: 'frank' }, version)).toMatch(/authored/);
    expect(selfApproval(request(), { login: 'carol', email: 'carol@example.com' }, version)).toBeUndefined();
  });

  it('lets anyone but the author approve a policy release', () => {
    expect(selfApproval(request({ triggeredBy: 'policy' }), { login: 'carol' }, version)).toBeUndefined();
  });
});

describe('the waiting state', () => {
  it('is entered from requested or queued and left only forward', () => {
    expect(canMove('queued', 'waiting')).toBe(true);
    expect(canMove('requested', 'waiting')).toBe(true);
    expect(canMove('waiting', 'committed')).toBe(true);
    expect(canMove('waiting', 'failed')).toBe(true);
    expect(canMove('waiting', 'queued')).toBe(false);
    expect(canMove('waiting', 'requested')).toBe(false);
    expect(canMove('committed', 'waiting')).toBe(false);
    const waiting = advance(request(), {
      state: 'waiting',
      at: NOW.toISOString(),
      reason: 'approvals 0 of 2',
    });
    expect(waiting?.reason).toBe('approvals 0 of 2');
  });
});

describe('parsing governance input', () => {
  const meta = { id: 'freeze-1', createdBy: 'admin', createdAt: NOW.toISOString() };

  it('accepts a one-off window with an end wall time, kept across a DST change', () => {
    const w = parseFreeze(
      {
        env: 'production',
        reason: 'release weekend',
        timeZone: 'Europe/Berlin',
        start: '2026-10-24T18:00',
        end: '2026-10-26T06:00',
      },
      meta,
    );
    expect(w.end).toBe('2026-10-26T06:00');
    const held = gateVerdict(
      input({
        now: new Date('2026-10-26T04:59:00Z'),
        settings: { halts: [], freezes: [w], approvalRules: [] },
      }),
    );
    expect(held).toMatchObject({ conditions: [{ until: '2026-10-26T05:00:00.000Z' }] });
    // Ending the night of the change: 06:00 CET is 05:00Z, not 12 elapsed hours after 18:00 CEST.
    const night = parseFreeze(
      {
        env: 'production',
        reason: 'x',
        timeZone: 'Europe/Berlin',
        start: '2026-10-24T18:00',
        end: '2026-10-25T06:00',
      },
      meta,
    );
    const verdict = gateVerdict(
      input({
        now: new Date('2026-10-25T04:30:00Z'),
        settings: { halts: [], freezes: [night], approvalRules: [] },
      }),
    );
    expect(verdict).toMatchObject({ conditions: [{ until: '2026-10-25T05:00:00.000Z' }] });
  });

  it('names the field of a bad window, rule or halt', () => {
    expect(() => parseFreeze({ env: 'production', reason: 'x', start: '2026-10-24T18:00' }, meta)).toThrow(
      /duration/,
    );
    expect(() =>
      parseFreeze(
        {
          env: 'production',
          reason: 'x',
          start: '2026-10-24T18:00',
          duration: 'PT1H',
          timeZone: 'Mars/Olympus',
        },
        meta,
      ),
    ).toThrow(/timeZone/);
    expect(() =>
      parseFreeze(
        { env: 'production', reason: 'x', start: '2026-10-24T18:00', duration: 'PT1H', rrule: 'FREQ=YEARLY' },
        meta,
      ),
    ).toThrow(/rrule/);
    expect(() =>
      parseFreeze({ env: 'Prod', reason: 'x', start: '2026-10-24T18:00', duration: 'PT1H' }, meta),
    ).toThrow(/env/);
    expect(() => parseApprovalRule({ env: 'production', required: 0, group: 'x' }, meta)).toThrow(/required/);
    expect(() =>
      parseApprovalRule({ env: 'production', required: 2, group: 'x', expiresAfter: '4h' }, meta),
    ).toThrow(/expiresAfter/);
    expect(() => parseHalt({ env: 'production' })).toThrow(/reason/);
    expect(parseHalt({ env: '*', reason: 'incident' })).toEqual({ env: '*', reason: 'incident' });
  });
});
