import { type GateDeps, type SweepResult, sweepWaiting } from '../lib/app/gate.ts';
import { lambdaGateDeps, lazy } from '../lib/compose/lambda.ts';

/**
 * EventBridge schedule (every minute) → the release gate's sweep: releases whose freeze window ended go
 * on in their original order. Resumes, approvals and overrides sweep at once; this catches the clock.
 */
export const makeHandler = (deps: GateDeps) => async (): Promise<SweepResult> => sweepWaiting(deps);

export const handler = lazy(lambdaGateDeps, makeHandler);
