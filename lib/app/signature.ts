import { createHmac, timingSafeEqual } from 'node:crypto';

export type HmacAlgorithm = 'sha224' | 'sha256' | 'sha384' | 'sha512';

/**
 * Constant-time check of a `<alg>=<hex HMAC of the raw body>` header, as Flux's generic-hmac provider
 * (`X-Signature`) and GitHub's webhooks (`X-Hub-Signature-256`) send it. The bytes are the ones received,
 * never a re-serialization; the hex must be exactly the digest's length.
 */
export function signatureMatches(
  body: Buffer,
  header: string | undefined,
  key: string,
  algorithms: readonly HmacAlgorithm[] = ['sha256'],
): boolean {
  const match = /^([a-z0-9]+)=([0-9a-fA-F]+)$/.exec(header?.trim() ?? '');
  const algorithm = match?.[1] as HmacAlgorithm | undefined;
  const hex = match?.[2];
  if (!algorithm || !hex || !algorithms.includes(algorithm)) return false;
  const expected = createHmac(algorithm, key).update(body).digest();
  if (hex.length !== expected.length * 2) return false;
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
}
