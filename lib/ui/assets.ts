import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One file of the dashboard, kept in memory with its gzipped form (API Gateway does not compress). */
export interface UiAsset {
  contentType: string;
  body: Buffer;
  gzip: Buffer;
  /** Content-hashed names never change content, so browsers may keep them for good. */
  immutable: boolean;
}

/** By path under /ui/ (`index.html`, `main-3KX2.js`). */
export type UiAssets = ReadonlyMap<string, UiAsset>;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export function uiAssets(files: Iterable<[string, Buffer]>): UiAssets {
  const assets = new Map<string, UiAsset>();
  for (const [name, body] of files) {
    assets.set(name, {
      contentType: TYPES[extname(name)] ?? 'application/octet-stream',
      body,
      gzip: gzipSync(body, { level: 9 }),
      immutable: name !== 'index.html',
    });
  }
  return assets;
}

/** The bundle as the CDK bundling step wrote it beside the function (`ui/` next to index.mjs). */
export async function readUiDir(dir: string): Promise<UiAssets> {
  const names = await readdir(dir);
  return uiAssets(
    await Promise.all(names.map(async (n): Promise<[string, Buffer]> => [n, await readFile(join(dir, n))])),
  );
}
