/**
 * Cold start of each Lambda bundle: the size of the `index.mjs` the CDK stack builds (esbuild, minified,
 * AWS SDK included) and the time a fresh Node process takes to import it, median of several processes.
 * The baseline, measured in the same run, is a fresh process importing an empty module: what any
 * function pays before its own code loads.
 *
 * Run: npm run bench:cold-start   (COLD_START_RUNS to change the number of processes per bundle)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import type { FerryFunction } from '../cdk/ferry-function.ts';
import { FerryStack } from '../cdk/ferry-stack.ts';
import { API_FUNCTIONS } from '../lib/http/routes.ts';

const RUNS = Number(process.env.COLD_START_RUNS ?? 7);
const TARGET = { api: { kb: 400, ms: 80 }, writer: { kb: 1536, ms: 200 } };

function bundleOf(fn: FerryFunction, outdir: string): string {
  const resource = fn.node.defaultChild as unknown as { cfnOptions: { metadata?: Record<string, string> } };
  const asset = resource.cfnOptions.metadata?.['aws:asset:path'];
  if (!asset) throw new Error(`no asset metadata for ${fn.node.id}`);
  return join(outdir, asset, 'index.mjs');
}

/** Milliseconds a fresh Node process spends in `import(file)`, median of RUNS processes. */
function importMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const times = Array.from({ length: RUNS }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })),
  ).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

function main(): void {
  const outdir = mkdtempSync(join(tmpdir(), 'ferry-cold-start-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new FerryStack(app, 'Ferry', {
      gitops: { repoUrl: 'https://git.example.com/acme/gitops.git', branch: 'main' },
    });
    app.synth();
    const empty = join(outdir, 'empty.mjs');
    writeFileSync(empty, 'export {};\n');
    const baseline = importMs(empty);

    type Bundle = [name: string, kind: 'api' | 'writer' | 'dispatcher', file: string];
    const bundles: Bundle[] = [
      ...API_FUNCTIONS.map((name): Bundle => [name, 'api', bundleOf(stack.functions[name], outdir)]),
      ['stream-dispatch', 'dispatcher', bundleOf(stack.dispatcher, outdir)],
      ['sqs-write', 'writer', bundleOf(stack.writer, outdir)],
    ];
    const rows = bundles.map(([name, kind, file]) => ({
      name,
      kind,
      kb: statSync(file).size / 1024,
      ms: importMs(file),
    }));

    process.stdout.write(
      `baseline: a fresh process imports an empty module in ${baseline.toFixed(1)} ms\n\n`,
    );
    process.stdout.write(`function          bundle     import (median of ${RUNS})  target\n`);
    for (const r of rows) {
      const target = r.kind === 'dispatcher' ? TARGET.api : TARGET[r.kind];
      const met = r.kb <= target.kb && r.ms < target.ms;
      process.stdout.write(
        `${r.name.padEnd(16)}  ${r.kb.toFixed(0).padStart(5)} KB  ${r.ms.toFixed(1).padStart(8)} ms` +
          `  (+${(r.ms - baseline).toFixed(1)} over baseline)  <= ${target.kb} KB, < ${target.ms} ms: ${met ? 'yes' : 'NO'}\n`,
      );
    }
    const api = rows.filter((r) => r.kind === 'api').sort((a, b) => b.kb - a.kb)[0];
    const writer = rows.find((r) => r.kind === 'writer');
    if (!api || !writer) throw new Error('missing bundles');
    process.stdout.write(
      `cold-start: api ${api.kb.toFixed(0)} KB ${api.ms.toFixed(0)} ms, writer ${writer.kb.toFixed(0)} KB ${writer.ms.toFixed(0)} ms\n`,
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

main();
