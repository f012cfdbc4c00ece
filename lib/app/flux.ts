import { createHash } from 'node:crypto';
import { authorize, type Principal } from '../domain/access.ts';
import { PayloadTooLargeError, UnauthenticatedError, ValidationError } from '../domain/errors.ts';
import { eventEnvironment, type FluxEvent, parseFluxEvent, revisionCommit } from '../domain/flux.ts';
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

async function authenticate(deps: FluxIntakeDeps, delivery: FluxDelivery): Promise<Principal | undefined> {
  if (delivery.signature !== undefined) {
    const key = await deps.hmacKey();
    if (!key) throw new UnauthenticatedError('X-Signature: this install has no Flux HMAC key configured');
    if (!signatureMatches(delivery.body, delivery.signature, key, FLUX_ALGORITHMS)) {
      throw new UnauthenticatedError('X-Signature: does not match the body (wrong key, or a changed body)');
    }
    return undefined;
  }
  if (delivery.token === undefined) {
    throw new UnauthenticatedError(
      'missing credentials: use a generic-hmac Provider (X-Signature) or a flux-role token',
    );
  }
  const principal = await deps.authenticator.authenticate(delivery.token);
  authorize(principal, 'flux:event');
  return principal;
}

/**
 * `POST /api/flux-events`: authenticates (HMAC over the received bytes, or a flux-role token), validates
 * and stores the event once. Moving releases forward happens from the stored event (stream), so Flux
 * gets its 200 as soon as the event is safe.
 */
export async function receiveFluxEvent(deps: FluxIntakeDeps, delivery: FluxDelivery): Promise<FluxReceipt> {
  const principal = await authenticate(deps, delivery);
  if (delivery.body.length > MAX_EVENT_BYTES) {
    throw new PayloadTooLargeError(`event is ${delivery.body.length} bytes; the limit is ${MAX_EVENT_BYTES}`);
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(delivery.body.toString('utf8'));
  } catch (error) {
    throw new ValidationError(`body: not valid JSON: ${(error as Error).message}`);
  }
  const event: FluxEvent = parseFluxEvent(decoded);
  const env = eventEnvironment(delivery.env, event);
  if (principal) authorize(principal, 'flux:event', [env]);
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
