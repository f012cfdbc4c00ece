import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/http-ui.ts';
import { systemClock } from '../../lib/app/deps.ts';
import type { HttpEvent } from '../../lib/http/types.ts';
import { makeLogger } from '../../lib/log/logger.ts';
import { readUiDir, type UiAssets } from '../../lib/ui/assets.ts';
import { buildUi, writeUi } from '../../lib/ui/build.ts';

/** Issue 16: the first load (page, script, stylesheet) stays under 150 KB gzipped. */
const FIRST_LOAD_BUDGET = 150 * 1024;

const event = (routeKey: string, path: string, headers: Record<string, string> = {}): HttpEvent =>
  ({
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: { requestId: 'req-1', http: { method: 'GET', path } },
    ...(routeKey.includes('{path+}') ? { pathParameters: { path: path.replace(/^\/ui\//, '') } } : {}),
    isBase64Encoded: false,
  }) as unknown as HttpEvent;

describe('the dashboard bundle', () => {
  let assets: UiAssets;
  beforeAll(async () => {
    assets = await buildUi();
  });
  const handler = () =>
    makeHandler({
      assets: async () => assets,
      authenticator: {
        authenticate: async () => {
          throw new Error('must not be asked');
        },
      },
      clock: systemClock,
      logger: makeLogger(() => undefined),
    });

  it(`loads first in under ${FIRST_LOAD_BUDGET / 1024} KB gzipped`, () => {
    const gzipped = [...assets.values()].reduce((sum, a) => sum + a.gzip.length, 0);
    const raw = [...assets.values()].reduce((sum, a) => sum + a.body.length, 0);
    // The number the README quotes: printed so a change in size shows in the test output.
    process.stdout.write(`dashboard first load: ${raw} bytes, ${gzipped} bytes gzipped\n`);
    const names = [...assets.keys()];
    expect(names).toHaveLength(3);
    expect(names).toEqual(
      expect.arrayContaining([
        'index.html',
        expect.stringMatching(/^main-\w+\.css$/),
        expect.stringMatching(/^main-\w+\.js$/),
      ]),
    );
    expect(gzipped).toBeLessThan(FIRST_LOAD_BUDGET);
  });

  it('type-checks as browser code (DOM types, no Node types)', async () => {
    const tsc = join(import.meta.dirname, '../../node_modules/typescript/bin/tsc');
    const run = promisify(execFile)(process.execPath, [tsc, '-p', 'lib/ui/web/tsconfig.json', '--noEmit'], {
      cwd: join(import.meta.dirname, '../..'),
    });
    await expect(run).resolves.toMatchObject({ stdout: '' });
  }, 60_000);

  it('serves the page at /ui and /ui/ without a token, with a strict CSP and no caching of the page', async () => {
    for (const path of ['/ui', '/ui/']) {
      const res = await handler()(event('GET /ui', path), {} as Context);
      expect(res.statusCode).toBe(200);
      expect(res.headers?.['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers?.['cache-control']).toBe('no-cache');
      expect(res.headers?.['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers?.['content-security-policy']).toContain("connect-src 'self'");
      const html = Buffer.from(res.body ?? '', 'base64').toString('utf8');
      const script = [...assets.keys()].find((n) => n.endsWith('.js'));
      expect(html).toContain(`<script type="module" src="/ui/${script}">`);
    }
  });

  it('gzips for clients that accept it, caches hashed files for good, and 404s unknown files', async () => {
    const script = [...assets.keys()].find((n) => n.endsWith('.js')) as string;
    const gz = await handler()(
      event('GET /ui/{path+}', `/ui/${script}`, { 'accept-encoding': 'gzip, deflate, br' }),
      {} as Context,
    );
    expect(gz.headers).toMatchObject({
      'content-encoding': 'gzip',
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
    });
    expect(gunzipSync(Buffer.from(gz.body ?? '', 'base64'))).toEqual(assets.get(script)?.body);
    const plain = await handler()(event('GET /ui/{path+}', `/ui/${script}`), {} as Context);
    expect(plain.headers?.['content-encoding']).toBeUndefined();
    const missing = await handler()(event('GET /ui/{path+}', '/ui/../../etc/passwd'), {} as Context);
    expect(missing.statusCode).toBe(404);
  });

  it('reads back from a directory exactly what it built (the Lambda bundle’s ui/ folder)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-ui-'));
    try {
      await writeUi(dir);
      const read = await readUiDir(dir);
      expect([...read.keys()].sort()).toEqual([...assets.keys()].sort());
      for (const [name, asset] of assets) expect(read.get(name)?.body.equals(asset.body), name).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
