import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../lib/app/deps.ts';
import type { HttpDeps } from '../lib/http/handler.ts';
import { makeHttpHandler } from '../lib/http/handler.ts';
import type { HttpEvent, HttpResult } from '../lib/http/types.ts';
import { instrument } from '../lib/log/instrument.ts';
import { makeLogger } from '../lib/log/logger.ts';
import { readUiDir, type UiAssets } from '../lib/ui/assets.ts';

export interface UiDeps extends HttpDeps {
  /** The built dashboard; loaded once (a directory on Lambda, an in-memory esbuild build locally). */
  assets: () => Promise<UiAssets>;
}

/**
 * The dashboard's static files on the API's own origin, so its calls need no CORS and its token never
 * leaves the origin. Every page gets a strict CSP: scripts and connections to this origin only.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export const makeHandler = (deps: UiDeps) => {
  const serve = async (event: HttpEvent, name: string): Promise<HttpResult> => {
    const asset = (await deps.assets()).get(name);
    if (!asset) {
      return {
        statusCode: 404,
        headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS },
        body: `no dashboard file ${name}\n`,
      };
    }
    const gzip = /\bgzip\b/.test(event.headers?.['accept-encoding'] ?? '');
    return {
      statusCode: 200,
      headers: {
        'content-type': asset.contentType,
        'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        ...SECURITY_HEADERS,
      },
      body: (gzip ? asset.gzip : asset.body).toString('base64'),
      isBase64Encoded: true,
    };
  };
  return makeHttpHandler(deps, {
    open: {
      // `/ui` and `/ui/` both serve the page (API Gateway and the local stack both match `/ui/` to `GET /ui`);
      // views live in the fragment (`#/apps/…`), so no other path needs the page.
      'GET /ui': async (event) => serve(event, 'index.html'),
      'GET /ui/{path+}': async (event) => serve(event, event.pathParameters?.path ?? ''),
    },
  });
};

let loaded: Promise<UiAssets> | undefined;
/** On Lambda the CDK bundling step put the built files in `ui/` beside this bundle. */
export const handler = instrument(
  makeHandler({
    assets: () => {
      loaded ??= readUiDir(join(dirname(fileURLToPath(import.meta.url)), 'ui'));
      return loaded;
    },
    // Open routes only: the authenticator is never asked.
    authenticator: {
      authenticate: async () => {
        throw new Error('the dashboard function authenticates nobody');
      },
    },
    clock: systemClock,
    logger: makeLogger(),
  }),
);
