import type { Principal } from '../domain/access.ts';
import type { AuditEntry } from '../domain/audit.ts';
import type { Clock } from './ports.ts';
import { newId } from './tokens.ts';

/** Facts about the call that every use case needs: who, when, and the id to correlate logs. */
export interface CallContext {
  principal: Principal;
  requestId: string;
  clock: Clock;
}

export function auditEntry(
  call: CallContext,
  action: string,
  target: string,
  detail?: Record<string, string>,
): AuditEntry {
  const entry: AuditEntry = {
    id: newId(),
    at: call.clock.now().toISOString(),
    actor: call.principal.login,
    tokenId: call.principal.tokenId,
    action,
    target,
    requestId: call.requestId,
  };
  if (detail) entry.detail = detail;
  return entry;
}
