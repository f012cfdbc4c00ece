import type { Version } from './artifact.ts';
import type { Scaffold } from './flux-scaffold.ts';
import type { GateState, Override } from './gate.ts';

/**
 * A release request and its state machine (DESIGN.md §4):
 *   requested → queued → [waiting(conditions)] → committed(sha) | unchanged | superseded(reason) | failed(reason)
 *   committed → reconciling → succeeded | failed(reason)
 * `waiting`: the writer found the release gate closed (a freeze, a halted environment, missing approvals,
 * an older request of the same app still waiting) and parked it; `gate` lists each unmet condition in
 * words. A waiting request is never moved back: when its conditions clear it is queued again *as it is*
 * and leaves `waiting` only for the writer's outcome. It sits after `queued` because stop-the-line must
 * also hold requests already queued, and a state machine that went queued → waiting → queued would move
 * back.
 * States only move forward, so a redelivered message or a late event can never move a request back.
 * `superseded`: a newer request for the same `<env>/<app>` was written first (a redelivery, a DLQ redrive
 * or a relay out of order), so this older one must not overwrite it.
 */
export const INTENTS = ['deploy', 'rollback', 'delete', 'init'] as const;
export type Intent = (typeof INTENTS)[number];

export const STATES = [
  'requested',
  'queued',
  'waiting',
  'committed',
  'unchanged',
  'superseded',
  'reconciling',
  'succeeded',
  'failed',
] as const;
export type ReleaseState = (typeof STATES)[number];

export interface StateChange {
  state: ReleaseState;
  /** ISO time the state was reached. */
  at: string;
  reason?: string;
  gitopsSha?: string;
}

export interface ReleaseRequest {
  id: string;
  intent: Intent;
  env: string;
  app: string;
  /** deploy: the artifact to release. */
  artifactId?: string;
  /** rollback: the gitops commit whose `<env>/<app>` content comes back. */
  targetSha?: string;
  /** init: the Flux Provider and Alert to write into `<env>/flux/`. */
  scaffold?: Scaffold;
  /** Why an automatic request was made (`branch main matches "main"`, `branch feature/x deleted`). */
  cause?: string;
  /** A login, or `policy` for automatic releases. */
  triggeredBy: string;
  createdAt: string;
  /**
   * Order among the requests of one `<env>/<app>`, drawn from a counter when the request is recorded:
   * the writer never lets a lower one overwrite what a higher one wrote. Absent on requests recorded
   * before sequences existed; those are applied unchecked.
   */
  sequence?: number;
  state: ReleaseState;
  reason?: string;
  gitopsSha?: string;
  states: StateChange[];
  /** Set once the writer parked it: the unmet conditions (while `waiting`) and how often it was parked. */
  gate?: GateState;
  /** An admin's freeze override (audited and announced). */
  override?: Override;
}

const NEXT: Record<ReleaseState, readonly ReleaseState[]> = {
  requested: ['queued', 'waiting', 'committed', 'unchanged', 'superseded', 'failed'],
  queued: ['waiting', 'committed', 'unchanged', 'superseded', 'failed'],
  waiting: ['committed', 'unchanged', 'superseded', 'failed'],
  committed: ['reconciling', 'succeeded', 'failed'],
  reconciling: ['succeeded', 'failed'],
  unchanged: [],
  superseded: [],
  succeeded: [],
  failed: [],
};

export function canMove(from: ReleaseState, to: ReleaseState): boolean {
  return NEXT[from].includes(to);
}

/** The request after `change`, or undefined when the change would move it back or sideways. */
export function advance(request: ReleaseRequest, change: StateChange): ReleaseRequest | undefined {
  if (!canMove(request.state, change.state)) return undefined;
  const next: ReleaseRequest = { ...request, state: change.state, states: [...request.states, change] };
  if (change.reason !== undefined) next.reason = change.reason;
  if (change.gitopsSha !== undefined) next.gitopsSha = change.gitopsSha;
  return next;
}

/** Nothing more will happen to the request unless Flux reports on its commit. */
export function writerDone(state: ReleaseState): boolean {
  return state !== 'requested' && state !== 'queued' && state !== 'waiting';
}

export function isTerminal(state: ReleaseState): boolean {
  return NEXT[state].length === 0;
}

/**
 * What the gitops repository holds for one app: the content of `<env>/<app>/release.json` (Gimlet's
 * Release object, plus Ferry's request id and intent) and the commit that wrote it.
 */
export interface ReleaseRecord {
  app: string;
  env: string;
  artifactId: string;
  triggeredBy: string;
  version: Version | null;
  requestId: string;
  intent: Intent;
  /** The request's sequence (see ReleaseRequest): what a stale request is compared with. */
  sequence?: number;
}

/**
 * Why `request` must not be written over what `<env>/<app>` holds, written by sequence `applied`;
 * undefined when it may (it is newer, or either side predates sequences).
 */
export function supersededBy(request: ReleaseRequest, applied: number | undefined): string | undefined {
  if (request.sequence === undefined || applied === undefined || request.sequence > applied) return undefined;
  return `a newer request for ${request.env}/${request.app} (sequence ${applied}) was written first; this one (sequence ${request.sequence}) would overwrite it`;
}

export function releaseFile(record: ReleaseRecord): string {
  // Gimlet's release.json has empty gitopsRef/gitopsRepo: the commit cannot name itself.
  return `${JSON.stringify({ ...record, gitopsRef: '', gitopsRepo: '' })}\n`;
}

/** A hold stops automatic (policy) releases of one app in one environment until lifted deliberately. */
export interface Hold {
  by: string;
  at: string;
  reason: string;
  requestId: string;
}
