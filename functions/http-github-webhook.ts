import { type CleanupDeps, receiveGithubWebhook } from '../lib/app/cleanup.ts';
import { lambdaCleanupDeps, lazy } from '../lib/compose/lambda.ts';
import type { HttpDeps } from '../lib/http/handler.ts';
import { makeHttpHandler } from '../lib/http/handler.ts';
import { bodyBytes, header } from '../lib/http/request.ts';
import { json } from '../lib/http/response.ts';
import type { HttpEvent } from '../lib/http/types.ts';

/** GitHub's webhook: signed by the shared secret, not by a Ferry token. */
export const makeHandler = (deps: CleanupDeps & HttpDeps) =>
  makeHttpHandler(deps, {
    open: {
      'POST /api/github-webhook': async (event: HttpEvent) => {
        const signature = header(event, 'x-hub-signature-256');
        const name = header(event, 'x-github-event');
        const delivery = header(event, 'x-github-delivery');
        const result = await receiveGithubWebhook(deps, {
          body: bodyBytes(event),
          ...(signature !== undefined ? { signature } : {}),
          ...(name !== undefined ? { event: name } : {}),
          ...(delivery !== undefined ? { delivery } : {}),
        });
        return json(200, result);
      },
    },
  });

export const handler = lazy(lambdaCleanupDeps, makeHandler);
