import {
  type Condition,
  describeConditions,
  type GateSettings,
  gateVerdict,
  type Verdict,
} from '../domain/gate.ts';
import { appPath } from '../domain/gitops.ts';
import type { ReleaseRequest } from '../domain/release.ts';
import type { Logger } from '../log/logger.ts';
import type { Clock, GovernanceStore, ReleaseStore } from './ports.ts';

/**
 * The release gate as the writer and the sweep use it: what a request still waits for, parking it, and
 * releasing the waiting ones whose conditions cleared, oldest first per `<env>/<app>`.
 */
export interface GateDeps {
  releases: ReleaseStore;
  governance: GovernanceStore;
  clock: Clock;
  logger: Logger;
}

export interface ReleaseGate {
  /** The verdict for `request` now; `ahead` are requests the same writer batch writes before it. */
  verdict(request: ReleaseRequest, settings: GateSettings, ahead: ReadonlySet<string>): Promise<Verdict>;
  settings(): Promise<GateSettings>;
  /** Moves the request to `waiting` with its conditions (again, when it waits already). */
  park(request: ReleaseRequest, conditions: Condition[]): Promise<void>;
  /** Releases what waited behind the given apps (after the writer wrote some of them). */
  sweep(targets?: { env: string; app: string }[]): Promise<SweepResult>;
}

export interface SweepResult {
  released: string[];
  rejected: string[];
  waiting: number;
}

export function makeReleaseGate(deps: GateDeps): ReleaseGate {
  return {
    settings: () => deps.governance.settings(),
    async verdict(request, settings, ahead) {
      const [gate, older] = await Promise.all([
        deps.governance.gateOf(request.id),
        deps.releases.waiting({ env: request.env, app: request.app }),
      ]);
      return gateVerdict({
        request,
        now: deps.clock.now(),
        settings,
        decisions: gate.decisions,
        ...(gate.override ? { override: gate.override } : {}),
        olderWaiting: older.filter(
          (r) => r.id !== request.id && !ahead.has(r.id) && (r.sequence ?? 0) < (request.sequence ?? 0),
        ),
      });
    },
    park: (request, conditions) => park(deps, request, conditions),
    sweep: (targets) => sweepWaiting(deps, targets),
  };
}

async function park(deps: GateDeps, request: ReleaseRequest, conditions: Condition[]): Promise<void> {
  let before: ReleaseRequest | undefined = request;
  for (let attempt = 0; attempt < 5 && before; attempt++) {
    if (before.state !== 'requested' && before.state !== 'queued' && before.state !== 'waiting') return;
    const at = deps.clock.now().toISOString();
    const gate = { conditions, parks: (before.gate?.parks ?? 0) + 1 };
    const reason = conditions.map((c) => c.reason).join('; ');
    const after: ReleaseRequest =
      before.state === 'waiting'
        ? { ...before, gate, reason }
        : {
            ...before,
            state: 'waiting',
            reason,
            gate,
            states: [...before.states, { state: 'waiting', at, reason }],
          };
    if (await deps.releases.park(before, after)) {
      deps.logger.info('release parked at the gate', { requestId: request.id, reason });
      return;
    }
    // The relay moved it to `queued` meanwhile: park what is stored now.
    before = await deps.releases.get(request.id);
  }
  throw new Error(`request ${request.id} kept changing while it was parked`);
}

/**
 * Releases waiting requests whose conditions cleared. Per `<env>/<app>`, in sequence order: a request
 * still held keeps every later one of that app waiting (they go in their original order), a rejected one
 * fails and no longer holds the others. Runs on a schedule and right after a resume, a decision or an
 * override.
 */
export async function sweepWaiting(
  deps: GateDeps,
  targets?: { env: string; app: string }[],
): Promise<SweepResult> {
  const settings = await deps.governance.settings();
  const lists = targets
    ? await Promise.all(
        [...new Map(targets.map((t) => [appPath(t.env, t.app), t])).values()].map((t) =>
          deps.releases.waiting(t),
        ),
      )
    : [await deps.releases.waiting()];
  const byApp = new Map<string, ReleaseRequest[]>();
  for (const r of lists.flat()) {
    const k = appPath(r.env, r.app);
    byApp.set(k, [...(byApp.get(k) ?? []), r]);
  }
  const result: SweepResult = { released: [], rejected: [], waiting: 0 };
  const now = deps.clock.now();
  for (const requests of byApp.values()) {
    // Those of this app left waiting so far: a later request waits behind them (its original order).
    const held: ReleaseRequest[] = [];
    for (const request of requests.sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0))) {
      const gate = await deps.governance.gateOf(request.id);
      const verdict = gateVerdict({
        request,
        now,
        settings,
        decisions: gate.decisions,
        ...(gate.override ? { override: gate.override } : {}),
        olderWaiting: held,
      });
      if (!verdict.pass && 'rejected' in verdict) {
        await deps.releases.advance(request.id, {
          state: 'failed',
          at: now.toISOString(),
          reason: verdict.rejected,
        });
        result.rejected.push(request.id);
        continue;
      }
      if (!verdict.pass) {
        held.push(request);
        result.waiting++;
        // What it waits for changed (an approval came, a halt was lifted): say so on the request.
        if (describeConditions(verdict.conditions) !== describeConditions(request.gate?.conditions ?? []))
          await park(deps, request, verdict.conditions);
        continue;
      }
      if (request.gate?.releasedAt) continue; // on its way to the writer already
      if (await deps.releases.release(request, now.toISOString())) result.released.push(request.id);
    }
  }
  if (result.released.length + result.rejected.length > 0)
    deps.logger.info('waiting releases swept', { ...result });
  return result;
}
