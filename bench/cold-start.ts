/**
 * Cold start of every Lambda bundle of the stack (each entry of functions/): the size of the `index.mjs` the CDK stack builds (esbuild, minified,
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
import {
  DEAD_LETTERS_FUNCTION,
  GATE_SWEEP_FUNCTION,
  RENDER_FUNCTION,
  RENDERING_FUNCTIONS,
  WRITER_FUNCTION,
} from '../cdk/ferry-services.ts';
import { FerryStack } from '../cdk/ferry-stack.ts';
import { STREAM_ROUTER_FUNCTION, STREAM_ROUTES } from '../lib/config/stream-routes.ts';
import { API_FUNCTIONS, FLUX_EVENTS_FUNCTION, UI_FUNCTION } from '../lib/http/routes.ts';

const RUNS = Number(process.env.COLD_START_RUNS ?? 7);

type Kind = 'api' | 'stream' | 'writer';
/** Issue 15's targets: a caller waits on an API function; stream consumers only have a size target. */
const TARGET: Record<Kind, { kb: number; ms?: number }> = {
  api: { kb: 400, ms: 80 },
  stream: { kb: 500 },
  writer: { kb: 1536, ms: 200 },
};

/** The Function URL's handler answers Flux directly, so it is held to the API's target. */
function kindOf(name: string): Kind {
  if (name === WRITER_FUNCTION) return 'writer';
  // The table stream's reader and the consumers it invokes, each its own bundle; and the DLQ drain.
  if (name === STREAM_ROUTER_FUNCTION || STREAM_ROUTES.some((r) => r.name === name)) return 'stream';
  // Background functions nobody waits on: the write DLQ's drain and the gate's scheduled sweep.
  if (name === DEAD_LETTERS_FUNCTION || name === GATE_SWEEP_FUNCTION) return 'stream';
  if ((API_FUNCTIONS as readonly string[]).includes(name) || name === FLUX_EVENTS_FUNCTION) return 'api';
  // The dashboard's static files: a browser waits on it like on the API.
  if (name === UI_FUNCTION) return 'api';
  // Invoked synchronously by http-artifacts and http-releases: their callers wait on it too.
  if (name === RENDER_FUNCTION) return 'api';
  throw new Error(`${name}: no cold-start target; add it to kindOf`);
}

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

/**
 * Milliseconds one fresh Node process, started with these NODE_OPTIONS, spends in `import(file)`: on the
 * clock, and on the CPU (user + system), which a machine busy with other work inflates far less.
 */
function importMs(file: string, nodeOptions: string): { wall: number; cpu: number } {
  const script =
    'const t = performance.now(); const c = process.cpuUsage(); ' +
    `await import(${JSON.stringify(pathToFileURL(file).href)}); const u = process.cpuUsage(c); ` +
    'process.stdout.write(JSON.stringify({ wall: performance.now() - t, cpu: (u.user + u.system) / 1000 }));';
  const env = { ...process.env, NODE_OPTIONS: nodeOptions };
  return JSON.parse(
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

    // Every function the stack builds, so a new entry point cannot go unmeasured.
    const measured = [...stack.services.functions].map(([name, fn]) => {
      const kind = kindOf(name);
      const file = bundleOf(fn, outdir);
      const times = { plain: [] as number[], cpu: [] as number[], deployed: [] as number[] };
      return { name, kind, file, nodeOptions: nodeOptionsOf(fn), kb: statSync(file).size / 1024, times };
    });
    // Round-robin, so a busy spell on the machine slows every bundle alike instead of one of them.
    const baselineTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      baselineTimes.push(importMs(empty, '').wall);
      for (const m of measured) {
        const plain = importMs(m.file, '');
        m.times.plain.push(plain.wall);
        m.times.cpu.push(plain.cpu);
        m.times.deployed.push(importMs(m.file, m.nodeOptions).wall);
      }
    }
    const baseline = median(baselineTimes);
    const rows = measured.map((m) => ({
      ...m,
      ms: median(m.times.plain),
      cpuMs: median(m.times.cpu),
      deployedMs: median(m.times.deployed),
    }));

    process.stdout.write(
      `baseline: a fresh process imports an empty module in ${baseline.toFixed(1)} ms\n\n`,
    );
    const width = Math.max(...rows.map((r) => r.name.length));
    process.stdout.write(
      `${'function'.padEnd(width)}  kind    bundle     import (median of ${RUNS})                  target` +
        '                       with its NODE_OPTIONS   CPU\n',
    );
    const order: Kind[] = ['api', 'stream', 'writer'];
    rows.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    const missed: string[] = [];
    for (const r of rows) {
      const target = TARGET[r.kind];
      const met = r.kb <= target.kb && (target.ms === undefined || r.ms < target.ms);
      if (!met) missed.push(r.name);
      const wanted = `<= ${String(target.kb).padStart(4)} KB${target.ms ? `, < ${target.ms} ms` : '         '}`;
      process.stdout.write(
        `${r.name.padEnd(width)}  ${r.kind.padEnd(6)}  ${r.kb.toFixed(0).padStart(5)} KB  ${r.ms.toFixed(1).padStart(8)} ms` +
          `  (+${(r.ms - baseline).toFixed(1).padStart(5)} over baseline)` +
          `  ${wanted}: ${met ? 'yes' : 'NO '}` +
          `  ${r.deployedMs.toFixed(1).padStart(8)} ms (${r.nodeOptions || 'none'})` +
          `  ${r.cpuMs.toFixed(1).padStart(6)} ms\n`,
      );
    }
    const largest = (kind: Kind) => rows.filter((r) => r.kind === kind).sort((a, b) => b.kb - a.kb)[0];
    const [api, stream, writer] = [largest('api'), largest('stream'), largest('writer')];
    if (!api || !stream || !writer) throw new Error('missing bundles');
    const slowestApi = Math.max(...rows.filter((r) => r.kind === 'api').map((r) => r.ms));
    process.stdout.write(
      `cold-start: ${rows.length} bundles; api up to ${api.kb.toFixed(0)} KB and ${slowestApi.toFixed(0)} ms, ` +
        `stream up to ${stream.kb.toFixed(0)} KB, writer ${writer.kb.toFixed(0)} KB ${writer.ms.toFixed(0)} ms; ` +
        `${missed.length ? `targets missed: ${missed.join(', ')}` : 'every target met'}\n`,
    );
    // A ship or a deploy that finds both functions cold waits for both to load, one after the other.
    const ms = (name: string) => rows.find((r) => r.name === name)?.ms ?? Number.NaN;
    for (const caller of RENDERING_FUNCTIONS) {
      process.stdout.write(
        `cold path ${caller} + ${RENDER_FUNCTION}: ${(ms(caller) + ms(RENDER_FUNCTION)).toFixed(0)} ms of imports\n`,
      );
    }
    if (missed.length) process.exitCode = 1;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

main();
