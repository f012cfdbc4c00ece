/**
 * Cold start of each Lambda bundle: the size of the `index.mjs` the CDK stack builds (esbuild, minified,
 * AWS SDK included) and the time a fresh Node process takes to import it, median of several processes.
 * The baseline, measured in the same run, is a fresh process importing an empty module: what any
 * function pays before its own code loads. The processes take turns across the bundles, RUNS rounds.
 * A second timing imports each bundle with the NODE_OPTIONS the stack gives its function, as Lambda does
 * (`--enable-source-maps` makes Node read and parse the source map at load); the targets apply to the first.
 *
 * Run: npm run bench:cold-start   (COLD_START_RUNS to change the number of processes per bundle)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
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

/** The NODE_OPTIONS the stack sets on the function. */
function nodeOptionsOf(fn: FerryFunction): string {
  const cfn = fn.node.defaultChild as CfnFunction;
  const environment = fn.stack.resolve(cfn.environment) as { variables?: Record<string, string> } | undefined;
  return environment?.variables?.NODE_OPTIONS ?? '';
}

/** Milliseconds one fresh Node process, started with these NODE_OPTIONS, spends in `import(file)`. */
function importMs(file: string, nodeOptions: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const env = { ...process.env, NODE_OPTIONS: nodeOptions };
  return Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env }),
  );
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
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

    type Bundle = [name: string, kind: 'api' | 'writer' | 'dispatcher', fn: FerryFunction];
    const bundles: Bundle[] = [
      ...API_FUNCTIONS.map((name): Bundle => [name, 'api', stack.functions[name]]),
      ['stream-dispatch', 'dispatcher', stack.dispatcher],
      ['sqs-write', 'writer', stack.writer],
    ];
    const measured = bundles.map(([name, kind, fn]) => {
      const file = bundleOf(fn, outdir);
      const times = { plain: [] as number[], deployed: [] as number[] };
      return { name, kind, file, nodeOptions: nodeOptionsOf(fn), kb: statSync(file).size / 1024, times };
    });
    // Round-robin, so a busy spell on the machine slows every bundle alike instead of one of them.
    const baselineTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      baselineTimes.push(importMs(empty, ''));
      for (const m of measured) {
        m.times.plain.push(importMs(m.file, ''));
        m.times.deployed.push(importMs(m.file, m.nodeOptions));
      }
    }
    const baseline = median(baselineTimes);
    const rows = measured.map((m) => ({
      ...m,
      ms: median(m.times.plain),
      deployedMs: median(m.times.deployed),
    }));

    process.stdout.write(
      `baseline: a fresh process imports an empty module in ${baseline.toFixed(1)} ms\n\n`,
    );
    const width = Math.max(...rows.map((r) => r.name.length));
    process.stdout.write(
      `${'function'.padEnd(width)}  bundle     import (median of ${RUNS})                  target` +
        '                       with its NODE_OPTIONS\n',
    );
    for (const r of rows) {
      const target = r.kind === 'dispatcher' ? TARGET.api : TARGET[r.kind];
      const met = r.kb <= target.kb && r.ms < target.ms;
      process.stdout.write(
        `${r.name.padEnd(width)}  ${r.kb.toFixed(0).padStart(5)} KB  ${r.ms.toFixed(1).padStart(8)} ms` +
          `  (+${(r.ms - baseline).toFixed(1).padStart(5)} over baseline)` +
          `  <= ${String(target.kb).padStart(4)} KB, < ${target.ms} ms: ${met ? 'yes' : 'NO '}` +
          `  ${r.deployedMs.toFixed(1).padStart(8)} ms (${r.nodeOptions || 'none'})\n`,
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
