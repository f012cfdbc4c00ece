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

/** Slack refuses requests older than five minutes to stop replays; so do we. */
export const SLACK_MAX_AGE_SECONDS = 5 * 60;

/**
 * Slack's request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>">` keyed with the
 * app's signing secret, and a timestamp within five minutes of now. Why it fails, or undefined when valid.
 */
export function slackSignatureProblem(
  body: Buffer,
  timestamp: string | undefined,
  signature: string | undefined,
  secret: string,
  now: Date,
): string | undefined {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return 'X-Slack-Request-Timestamp is missing';
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SLACK_MAX_AGE_SECONDS)
    return 'X-Slack-Request-Timestamp is more than five minutes away from now';
  const match = /^v0=([0-9a-f]{64})$/.exec(signature?.trim() ?? '');
  if (!match?.[1]) return 'X-Slack-Signature is missing or not v0=<hex>';
  const expected = createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(`v0:${timestamp}:`), body]))
    .digest();
  return timingSafeEqual(Buffer.from(match[1], 'hex'), expected)
    ? undefined
    : 'X-Slack-Signature does not match';
}
