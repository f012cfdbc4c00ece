/** One audit record per mutating call: who, what, when, from which token. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  tokenId: string;
  action: string;
  target: string;
  requestId?: string;
  detail?: Record<string, string>;
}
