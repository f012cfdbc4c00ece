import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export interface IssuedToken {
  /** Shown once to the caller, never stored or logged. */
  token: string;
  hash: string;
  /** Public handle for audit records and listings. */
  id: string;
}

const PREFIX = 'ferry_';

/**
 * Tokens carry 256 random bits, so a single fast SHA-256 is enough to store them: there is nothing
 * to brute-force that a slow password hash would protect.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenIdOf(hash: string): string {
  return `tok_${hash.slice(0, 12)}`;
}

export function issueToken(value: string = PREFIX + randomBytes(32).toString('base64url')): IssuedToken {
  const hash = hashToken(value);
  return { token: value, hash, id: tokenIdOf(hash) };
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function newId(): string {
  return randomUUID();
}
