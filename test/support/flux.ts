import { createHmac } from 'node:crypto';
import { environmentFluxKey } from '../../lib/app/flux.ts';

/**
 * Flux events exactly as notification-controller posts them: Go's `json.Marshal` of `eventv1.Event`
 * (fluxcd/pkg apis/event/v1beta1): fixed key order, compact, `<`, `>`, `&`, U+2028 and U+2029 escaped,
 * map keys sorted, no trailing newline.
 */
export interface EventInput {
  kind?: string;
  name?: string;
  namespace?: string;
  severity?: 'info' | 'error';
  reason: string;
  message: string;
  metadata?: Record<string, string>;
  controller?: string;
  timestamp?: string;
}

export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function fluxEventBody(input: EventInput): string {
  const kind = input.kind ?? 'Kustomization';
  const helm = kind === 'HelmRelease';
  const sortedMeta = input.metadata
    ? Object.fromEntries(Object.entries(input.metadata).sort(([a], [b]) => (a < b ? -1 : 1)))
    : undefined;
  const event: Record<string, unknown> = {
    involvedObject: {
      kind,
      namespace: input.namespace ?? 'flux-system',
      name: input.name ?? 'flux-system',
      uid: '7d0cdc51-ddcf-4743-b223-83ca5c699632',
      apiVersion: helm ? 'helm.toolkit.fluxcd.io/v2' : 'kustomize.toolkit.fluxcd.io/v1',
      resourceVersion: '56921',
    },
    severity: input.severity ?? 'info',
    timestamp: input.timestamp ?? '2026-11-23T09:14:03Z',
    message: input.message,
    reason: input.reason,
  };
  if (sortedMeta) event.metadata = sortedMeta;
  event.reportingController = input.controller ?? (helm ? 'helm-controller' : 'kustomize-controller');
  event.reportingInstance = `${event.reportingController}-6d8f9c7b5-x7k2p`;
  return goJson(event);
}

/** The key of one environment's Provider Secret, derived from the install's key (lib/app/flux.ts). */
export const envKey = (installKey: string, env: string) => environmentFluxKey(installKey, env);

export function sign(body: string, key: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** Posts like notification-controller's generic-hmac provider (headers included). */
export async function postFluxEvent(
  url: string,
  body: string,
  options: { signature?: string; query?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/flux-events${options.query ? `?${options.query}` : ''}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'gotk-component': 'kustomize-controller',
      'user-agent': 'Go-http-client/1.1',
      ...(options.signature ? { 'x-signature': options.signature } : {}),
      ...options.headers,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
