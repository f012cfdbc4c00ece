import { type FluxIntakeDeps, receiveFluxEvent } from '../lib/app/flux.ts';
import { lambdaFluxIntakeDeps, lazy } from '../lib/compose/lambda.ts';
import { single } from '../lib/domain/query.ts';
import { makeHttpHandler } from '../lib/http/handler.ts';
import { bodyBytes, header, presentedToken, queryParams } from '../lib/http/request.ts';
import { json } from '../lib/http/response.ts';
import type { HttpEvent } from '../lib/http/types.ts';

/** The route on the local port; on AWS the public Function URL sends every path as `$default`. */
export const FLUX_EVENTS_ROUTE = 'POST /api/flux-events';

/**
 * Flux notification-controller's `generic` / `generic-hmac` provider. Answers 200 (older controllers
 * count 204 as a failure) once the event is stored; a bad signature or token is 401 and stores nothing.
 */
export const makeHandler = (deps: FluxIntakeDeps) => {
  const receive = async (event: HttpEvent) => {
    if (event.requestContext.http.method !== 'POST') {
      return json(405, { error: { code: 'method_not_allowed', message: 'Flux events are POSTed' } });
    }
    const signature = header(event, 'x-signature');
    const token = presentedToken(event);
    const env = single(queryParams(event), 'env');
    const receipt = await receiveFluxEvent(deps, {
      body: bodyBytes(event),
      ...(signature !== undefined ? { signature } : {}),
      ...(token !== undefined ? { token } : {}),
      ...(env !== undefined ? { env } : {}),
    });
    return json(200, { status: receipt.stored ? 'accepted' : 'duplicate', env: receipt.env });
  };
  return makeHttpHandler(deps, { open: { $default: receive, [FLUX_EVENTS_ROUTE]: receive } });
};

export const handler = lazy(lambdaFluxIntakeDeps, makeHandler);
