import type { Version } from '../domain/artifact.ts';
import type { ReleaseState, StateChange } from '../domain/release.ts';

/** The shapes the CLI reads from Ferry's API (DESIGN.md §3, §4). Only what the CLI prints is typed. */

export type RequestState = ReleaseState;
export type StateEntry = StateChange;

/** `GET /api/releases/{id}`: one deploy, rollback or delete request and the states it went through. */
export interface ReleaseRequest {
  id: string;
  intent: 'deploy' | 'rollback' | 'delete';
  env: string;
  app: string;
  state: RequestState;
  reason?: string;
  gitopsSha?: string;
  states?: StateEntry[];
  /** ISO time. */
  createdAt?: string;
  done: boolean;
  outcome?: 'success' | 'failure';
}

export interface Hold {
  by: string;
  at: string;
  reason: string;
}

/** Gimlet's Release object (`GET /api/releases`, `GET /api/status`), with Ferry's additions. */
export interface Release {
  app: string;
  env: string;
  artifactId: string;
  triggeredBy: string;
  version: Partial<Version> | null;
  gitopsRef: string;
  gitopsRepo: string;
  /** Unix seconds. */
  created?: number;
  rolledBack?: boolean;
  requestId?: string;
  intent?: string;
  hold?: Hold;
}

export interface Created {
  id: string;
}
