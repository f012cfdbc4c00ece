import { createHash, createHmac } from 'node:crypto';
import { authorize, type Principal } from '../domain/access.ts';
import { PayloadTooLargeError, UnauthenticatedError, ValidationError } from '../domain/errors.ts';
import { eventEnvironment, type FluxEvent, parseFluxEvent, revisionCommit } from '../domain/flux.ts';
import { checkJson } from '../domain/validate.ts';
import type { Logger } from '../log/logger.ts';
import type { Authenticator } from './authenticate.ts';
import type { Clock, FluxStore } from './ports.ts';
import { signatureMatches } from './signature.ts';

/** notification-controller accepts events up to 3 MiB; messages stay under 40 KB in practice. */
export const MAX_EVENT_BYTES = 1024 * 1024;

export interface FluxIntakeDeps {
  flux: FluxStore;
  authenticator: Authenticator;
  /** The `generic-hmac` key (Secrets Manager; FERRY_FLUX_HMAC_KEY locally); undefined when not set up. */
  hmacKey: () => Promise<string | undefined>;
  clock: Clock;
  logger: Logger;
}

export interface FluxDelivery {
  /** The body exactly as received: the signature covers these bytes, never a re-serialization. */
  body: Buffer;
  signature?: string;
  token?: string;
  /** `?env=` on the Provider address. */
  env?: string;
}

export interface FluxReceipt {
  env: string;
  /** False for a duplicate delivery (a retry, or a second Alert posting the same event). */
  stored: boolean;
  revision?: string;
}

/** notification-controller only ever signs with sha256; its docs' verifier accepts these. */
const FLUX_ALGORITHMS = ['sha224', 'sha256', 'sha384', 'sha512'] as const;

/**
 * The `generic-hmac` key of one environment: HMAC-SHA256 of `ferry-flux-events/<env>` under the install's
 * key, in hex. Each environment's cluster holds only its own key (in the Secret `ferry env init` names),
 * so a verdict signed in one environment never verifies for another, and a leaked key speaks for one
 * environment. An operator derives it with:
 *   printf 'ferry-flux-events/%s' "$ENV" | openssl dgst -sha256 -hmac "$FLUX_HMAC_KEY" -r | cut -d' ' -f1
 */
export function environmentFluxKey(installKey: string, env: string): string {
  return createHmac('sha256', installKey).update(`ferry-flux-events/${env}`).digest('hex');
}

async function tokenPrincipal(deps: FluxIntakeDeps, delivery: FluxDelivery): Promise<Principal | undefined> {
  if (delivery.signature !== undefined) return undefined;
  if (delivery.token === undefined) {
    throw new UnauthenticatedError(
      'missing credentials: use a generic-hmac Provider (X-Signature) or a flux-role token',
    );
  }
  const principal = await deps.authenticator.authenticate(delivery.token);
  authorize(principal, 'flux:event');
  return principal;
}

async function checkSignature(deps: FluxIntakeDeps, delivery: FluxDelivery, env: string): Promise<void> {
  const key = await deps.hmacKey();
  if (!key) throw new UnauthenticatedError('X-Signature: this install has no Flux HMAC key configured');
  if (!signatureMatches(delivery.body, delivery.signature, environmentFluxKey(key, env), FLUX_ALGORITHMS)) {
    throw new UnauthenticatedError(
      `X-Signature: does not match the body under environment ${env}'s key (wrong key or environment, or a changed body)`,
    );
  }
}

/**
 * `POST /api/flux-events`: authenticates (HMAC over the received bytes, or a flux-role token), validates
 * and stores the event once. Moving releases forward happens from the stored event (stream), so Flux
 * gets its 200 as soon as the event is safe.
 */
export async function receiveFluxEvent(deps: FluxIntakeDeps, delivery: FluxDelivery): Promise<FluxReceipt> {
  const principal = await tokenPrincipal(deps, delivery);
  if (delivery.body.length > MAX_EVENT_BYTES) {
    throw new PayloadTooLargeError(`event is ${delivery.body.length} bytes; the limit is ${MAX_EVENT_BYTES}`);
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(delivery.body.toString('utf8'));
  } catch (error) {
    throw new ValidationError(`body: not valid JSON: ${(error as Error).message}`);
  }
  checkJson(decoded, 'body');
  const event: FluxEvent = parseFluxEvent(decoded);
  const env = eventEnvironment(delivery.env, event);
  // The key is the environment's own: a verdict signed for one environment does not verify for another.
  if (principal) authorize(principal, 'flux:event', [env]);
  else await checkSignature(deps, delivery, env);
  const revision = revisionCommit(event.metadata);
  const id = createHash('sha256').update(delivery.body).digest('hex').slice(0, 32);
  const stored = await deps.flux.record(
    { id, env, receivedAt: deps.clock.now().toISOString(), event },
    revision ?? event.metadata.revision,
  );
  deps.logger.info('flux event', {
    env,
    kind: event.involvedObject.kind,
    name: event.involvedObject.name,
    reason: event.reason,
    revision: revision ?? event.metadata.revision,
    duplicate: !stored,
  });
  const receipt: FluxReceipt = { env, stored };
  if (revision) receipt.revision = revision;
  return receipt;
}
