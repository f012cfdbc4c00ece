import type { ApiDeps } from '../lib/app/deps.ts';
import { onColdStart } from '../lib/compose/lambda.ts';
import { makeHttpHandler } from '../lib/http/handler.ts';
import { openApiDocument } from '../lib/http/openapi.ts';
import { json } from '../lib/http/response.ts';

/** Health, and the OpenAPI document generated from the route table (built once per cold start). */
export const makeHandler = (deps: ApiDeps) => {
  const document = openApiDocument();
  return makeHttpHandler(deps, {
    open: {
      'GET /': async () => json(200, { status: 'ok' }),
      'GET /api/openapi.json': async () => json(200, document),
    },
  });
};

export const handler = onColdStart(makeHandler);
