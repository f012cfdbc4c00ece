import { ValidationError } from './errors.ts';
import { appKustomizationName } from './flux-layout.ts';
import { isDnsLabel } from './names.ts';

/**
 * What Flux's notification-controller posts to a `generic` / `generic-hmac` provider: one JSON object of Go
 * type `Event` (fluxcd/pkg apis/event/v1beta1). Only the fields Ferry reads are typed; the rest is kept as
 * received when the event is stored.
 */
export interface FluxEvent {
  involvedObject: { kind: string; namespace: string; name: string; uid?: string };
  severity: string;
  /** RFC 3339 with second precision, set by the emitting controller. */
  timestamp: string;
  message: string;
  reason: string;
  metadata: Record<string, string>;
  reportingController: string;
}

/** Where a Flux event moves the releases it concerns; `undefined` when it says nothing about them. */
export type FluxVerdict =
  | { state: 'reconciling'; reason: string }
  | { state: 'succeeded'; reason: string }
  | { state: 'failed'; reason: string };

const MAX_MESSAGE = 4000;

function text(value: unknown, path: string, required = true): string {
  if (value === undefined || value === null) {
    if (required) throw new ValidationError(`${path}: missing`);
    return '';
  }
  if (typeof value !== 'string') throw new ValidationError(`${path}: must be a string`);
  return value;
}

/** Validates the decoded body; anything that is not a Flux event is a 400 that names the field. */
export function parseFluxEvent(value: unknown): FluxEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('body: must be a Flux event object');
  }
  const body = value as Record<string, unknown>;
  const object = body.involvedObject;
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new ValidationError('involvedObject: missing or not an object');
  }
  const o = object as Record<string, unknown>;
  const metadata: Record<string, string> = {};
  if (body.metadata !== undefined && body.metadata !== null) {
    if (typeof body.metadata !== 'object' || Array.isArray(body.metadata)) {
      throw new ValidationError('metadata: must be an object of strings');
    }
    for (const [key, v] of Object.entries(body.metadata as Record<string, unknown>)) {
      metadata[key] = text(v, `metadata.${key}`);
    }
  }
  const event: FluxEvent = {
    involvedObject: {
      kind: text(o.kind, 'involvedObject.kind'),
      namespace: text(o.namespace, 'involvedObject.namespace', false),
      name: text(o.name, 'involvedObject.name'),
    },
    severity: text(body.severity, 'severity', false) || 'info',
    timestamp: text(body.timestamp, 'timestamp', false),
    message: text(body.message, 'message', false),
    reason: text(body.reason, 'reason', false),
    metadata,
    reportingController: text(body.reportingController, 'reportingController', false),
  };
  if (typeof o.uid === 'string') event.involvedObject.uid = o.uid;
  if (!event.reason && !event.message) throw new ValidationError('reason: missing (and no message)');
  return event;
}

/**
 * The environment an event belongs to: `?env=` on the Provider address, else the Alert's
 * `eventMetadata.env`. Both present and different is refused rather than guessed.
 */
export function eventEnvironment(query: string | undefined, event: FluxEvent): string {
  const fromMeta = event.metadata.env;
  if (query && fromMeta && query !== fromMeta) {
    throw new ValidationError(`env: the query says "${query}" but metadata.env says "${fromMeta}"`);
  }
  const env = query || fromMeta;
  if (!env) {
    throw new ValidationError(
      'env: missing; add ?env=<env> to the Provider address or env to the Alert eventMetadata',
    );
  }
  if (!isDnsLabel(env)) throw new ValidationError(`env: "${env}" is not a DNS-1123 label`);
  return env;
}

const SHA1 = /^[0-9a-f]{40}$/;

/**
 * The gitops commit a Kustomization event reports, from `originRevision` (OCI-delivered git content) or
 * `revision`, in every format Flux has used:
 *   `main@sha1:<40 hex>` (Flux ≥ 0.40; the pointer may contain `@` and `/`), `refs/heads/main@sha1:…`,
 *   bare `sha1:<40 hex>`, legacy `main/<40 hex>` (the branch may contain `/`), a bare legacy 40-hex sha.
 * `sha256:` digests (OCI, Bucket) and chart versions are not commits: undefined.
 */
export function revisionCommit(metadata: Record<string, string>): string | undefined {
  const raw =
    metadata.originRevision || metadata.revision || metadata['kustomize.toolkit.fluxcd.io/revision'];
  if (!raw) return undefined;
  const revision = raw.trim();
  let digest: string;
  const at = revision.lastIndexOf('@');
  if (at >= 0) digest = revision.slice(at + 1);
  else if (revision.includes(':')) digest = revision;
  else {
    const slash = revision.lastIndexOf('/');
    const candidate = (slash >= 0 ? revision.slice(slash + 1) : revision).toLowerCase();
    return SHA1.test(candidate) ? candidate : undefined;
  }
  const [algorithm, hash = ''] = digest.split(':', 2);
  const lower = hash.toLowerCase();
  return algorithm === 'sha1' && SHA1.test(lower) ? lower : undefined;
}

/** HelmRelease events carry a chart version instead of a commit; Ferry maps them by object name. */
export function isHelmReleaseEvent(event: FluxEvent): boolean {
  return event.involvedObject.kind === 'HelmRelease';
}

/**
 * The app an event is about, when it names one: the Alert of an app's own Kustomization tags its events
 * with `app` (eventMetadata), and an app's Kustomization is named `<env>.<app>` (lib/domain/flux-apps.ts),
 * (shortened with a hash past 63 characters, so matched against the apps that have open releases).
 * Undefined for the entry Kustomization and any other Kustomization (one that applies several apps, as a
 * whole-environment one does).
 */
export function eventApp(env: string, event: FluxEvent, apps: Iterable<string>): string | undefined {
  const tagged = event.metadata.app;
  if (tagged && isDnsLabel(tagged)) return tagged;
  if (event.involvedObject.kind !== 'Kustomization') return undefined;
  const { name } = event.involvedObject;
  for (const app of apps) {
    if (appKustomizationName(env, app) === name) return app;
  }
  // An app's Kustomization with no open release (or a shortened name): still that app's alone, never a
  // verdict for the whole environment.
  return name.startsWith(`${env}.`) ? name.slice(env.length + 1) : undefined;
}

const KUSTOMIZE_FAILURES = new Set([
  'HealthCheckFailed',
  'ReconciliationFailed',
  'BuildFailed',
  'ArtifactFailed',
  'PruneFailed',
  'ValidationFailed',
]);
const HELM_SUCCESSES = new Set(['InstallSucceeded', 'UpgradeSucceeded', 'TestSucceeded']);

function flatten(message: string): string {
  const trimmed = message.trim();
  return trimmed.length > MAX_MESSAGE ? `${trimmed.slice(0, MAX_MESSAGE)}…` : trimmed;
}

/**
 * Reads one event as a release verdict:
 *   succeeded: `ReconciliationSucceeded`, `Progressing` with "Health check passed", Helm install/upgrade/test
 *   succeeded;
 *   failed: `HealthCheckFailed`, `ReconciliationFailed`, `BuildFailed`, `ArtifactFailed`, `PruneFailed`,
 *   legacy `ValidationFailed`, any Helm `*Failed`, with Flux's message as the reason;
 *   reconciling: any other `Progressing` (change sets, prunes), dependency waits.
 * Everything else (drift notices, source-controller artifacts) says nothing about a release.
 */
export function verdictOf(event: FluxEvent): FluxVerdict | undefined {
  const { reason } = event;
  const message = flatten(event.message);
  if (isHelmReleaseEvent(event)) {
    if (HELM_SUCCESSES.has(reason)) return { state: 'succeeded', reason: message || reason };
    if (reason.endsWith('Failed') && reason !== 'DriftCorrectionFailed') {
      return { state: 'failed', reason: `${reason}: ${message}` };
    }
    // helm-controller ≤ 0.36 used the severity as the reason.
    if (reason === 'error' && /failed/i.test(message)) return { state: 'failed', reason: message };
    if (reason === 'info' && /succeeded/i.test(message)) return { state: 'succeeded', reason: message };
    return undefined;
  }
  if (reason === 'ReconciliationSucceeded') return { state: 'succeeded', reason: message || reason };
  if (KUSTOMIZE_FAILURES.has(reason)) return { state: 'failed', reason: `${reason}: ${message}` };
  if (reason === 'Progressing') {
    if (/health check passed/i.test(message)) return { state: 'succeeded', reason: message };
    return { state: 'reconciling', reason: message || reason };
  }
  if (reason === 'DependencyNotReady') return { state: 'reconciling', reason: message };
  return undefined;
}
