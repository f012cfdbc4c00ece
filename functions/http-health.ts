import type { ApiDeps } from '../lib/app/deps.ts';
import { onColdStart } from '../lib/compose/lambda.ts';
import { makeHttpHandler } from '../lib/http/handler.ts';
import { json } from '../lib/http/response.ts';

export const makeHandler = (deps: ApiDeps) =>
  makeHttpHandler(deps, { open: { 'GET /': async () => json(200, { status: 'ok' }) } });

export const handler = onColdStart(makeHandler);
