import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type UiAssets, uiAssets } from './assets.ts';

const ENTRY = fileURLToPath(new URL('./web/main.ts', import.meta.url));

/**
 * Builds the dashboard with esbuild (a devDependency: the local stack builds it in memory at start, the
 * CDK bundling step writes it beside the http-ui function). Names carry a content hash; index.html is
 * generated to point at them.
 */
export async function buildUi(): Promise<UiAssets> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    write: false,
    outdir: '/ui',
    entryNames: '[name]-[hash]',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const files: [string, Buffer][] = out.outputFiles.map((f) => [basename(f.path), Buffer.from(f.contents)]);
  const script = files.find(([n]) => n.endsWith('.js'))?.[0];
  const style = files.find(([n]) => n.endsWith('.css'))?.[0];
  if (!script || !style) throw new Error('dashboard build produced no script or stylesheet');
  files.push(['index.html', Buffer.from(indexHtml(script, style))]);
  return uiAssets(files);
}

function indexHtml(script: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Ferry</title>
<link rel="stylesheet" href="/ui/${style}">
<script type="module" src="/ui/${script}"></script>
</head>
<body><div id="app"><p class="boot">Loading Ferry…</p></div></body>
</html>
`;
}

/** `tsx lib/ui/build.ts <dir>`: writes the bundle to a directory (the CDK bundling hook runs this). */
export async function writeUi(dir: string): Promise<void> {
  const assets = await buildUi();
  await mkdir(dir, { recursive: true });
  for (const [name, asset] of assets) await writeFile(join(dir, name), asset.body);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: tsx lib/ui/build.ts <output directory>');
  await writeUi(dir);
}
