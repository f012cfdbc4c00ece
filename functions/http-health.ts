import type { Authenticator } from '../lib/app/authenticate.ts';
import { systemClock } from '../lib/app/deps.ts';
import { UnauthenticatedError } from '../lib/domain/errors.ts';
import { type HttpDeps, makeHttpHandler } from '../lib/http/handler.ts';
import { openApiDocument } from '../lib/http/openapi.ts';
import { json } from '../lib/http/response.ts';
import type { LambdaHttpHandler } from '../lib/http/types.ts';
import { instrument } from '../lib/log/instrument.ts';
import { makeLogger } from '../lib/log/logger.ts';

/** Health, and the OpenAPI document generated from the route table (built once per cold start). */
export const makeHandler = (deps: HttpDeps) => {
  const document = openApiDocument();
  return makeHttpHandler(deps, {
    open: {
      'GET /': async () => json(200, { status: 'ok' }),
      'GET /api/openapi.json': async () => json(200, document),
    },
  });
};

/**
 * Health answers from code alone, so on Lambda its role may read no table and no secret (least privilege):
 * it has only open routes, and a token presented to it is never looked up.
 */
const noCallers: Authenticator = {
  authenticate: async () => {
    throw new UnauthenticatedError('the health function authenticates nobody');
  },
};

let built: LambdaHttpHandler | undefined;
export const handler: LambdaHttpHandler = instrument((event, context) => {
  built ??= makeHandler({ authenticator: noCallers, clock: systemClock, logger: makeLogger() });
  return built(event, context);
});
