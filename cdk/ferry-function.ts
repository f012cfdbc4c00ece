import { Duration } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface FerryFunctionProps {
  /** Entry file under functions/, without extension: `http-artifacts`. */
  name: string;
  timeout?: Duration;
  memorySize?: number;
  reservedConcurrency?: number;
  /** X-Ray active tracing (the install's `tracing` setting). */
  tracing?: boolean;
  /** Shell commands run after esbuild, given the project root and the bundle's directory. */
  afterBundling?: (projectRoot: string, outputDir: string) => string[];
}

const ROOT = new URL('..', import.meta.url).pathname;

/**
 * The newest Node.js runtime aws-cdk-lib offers (nodejs22.x is deprecated on 2027-04-30), and the esbuild
 * target that matches it, so the bundle keeps the syntax that runtime runs natively.
 */
export const RUNTIME = Runtime.NODEJS_24_X;
export const BUNDLE_TARGET = 'node24';

/**
 * Imports the bundles resolve to something smaller than the package's entry point, to cut what a cold
 * start loads and compiles (`npm run bench:cold-start`; each shim in lib/aws says why it is safe on Lambda).
 * esbuild resolves these paths from its working directory: `projectRoot` in local bundling.
 */
const BUNDLE_ALIASES: Record<string, string> = {
  // The SDK's default credential chain (SSO, ini, STS, IMDS…) for the environment variables Lambda sets.
  '@aws-sdk/credential-provider-node': './lib/aws/lambda-credentials.ts',
  // Only reached by event-stream operations, which none of our clients have.
  '@smithy/core/event-streams': './lib/aws/no-event-streams.ts',
  // Octokit's method per GitHub endpoint; the notifier calls its one endpoint by route.
  '@octokit/plugin-rest-endpoint-methods': './lib/aws/no-rest-endpoint-methods.ts',
  // Handlebars falls back to its own SourceNode; we never ask for template source maps.
  'source-map': './lib/aws/no-source-map.ts',
  // The packages' own ES module builds of the same version, which esbuild can tree-shake; their `main` is
  // CommonJS, kept whole and run at load even where only a function or two is used. yaml's ESM build
  // warns through console.warn instead of process.emitWarning and reads YAML 1.1 `!!binary` into a
  // Uint8Array instead of a Buffer: warnings reach the logs either way, and nothing of ours reads binary.
  yaml: './node_modules/yaml/browser/index.js',
  handlebars: './node_modules/handlebars/lib/handlebars.js',
  // isomorphic-git's `node` export condition picks its CommonJS build, every command kept; its ES module
  // build lets the git adapter's namespace import keep only the nine commands it calls (~90 KB less in the
  // writer and flux-status). The subpath gets its own entry, or the alias above would swallow it.
  'isomorphic-git/http/node': './node_modules/isomorphic-git/http/node/index.js',
  'isomorphic-git': './node_modules/isomorphic-git/index.js',
};

/**
 * The house Lambda: Node 24 on arm64, JSON logs, an ESM bundle built by the esbuild in node_modules (no
 * Docker), AWS SDK included. The `require` shim lets CommonJS dependencies inside the ESM bundle load Node built-ins.
 */
export class FerryFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: FerryFunctionProps) {
    super(scope, id, {
      entry: `${ROOT}functions/${props.name}.ts`,
      handler: 'handler',
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      ...(props.reservedConcurrency ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      loggingFormat: LoggingFormat.JSON,
      // Lambda's own segments (invocation, init, overhead): no Tracer library in the bundles, whose size
      // targets its ~125 KB (aws-xray-sdk-core) would break (README, Observability).
      ...(props.tracing ? { tracing: Tracing.ACTIVE } : {}),
      logGroup: new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH }),
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE_TARGET,
        minify: true,
        sourceMap: true,
        // Stack traces only need the mappings; embedded sources made Node's --enable-source-maps read and
        // parse ~3x the bytes at every cold start.
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner:
          "import { createRequire as __ferryRequire } from 'node:module';const require = __ferryRequire(import.meta.url);",
        forceDockerBundling: false,
        // Pin the SDK we test against instead of whatever the runtime ships; the bundle is self-contained.
        bundleAwsSDK: true,
        esbuildArgs: { '--alias': Object.entries(BUNDLE_ALIASES).map(([from, to]) => `${from}=${to}`) },
        ...(props.afterBundling
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: props.afterBundling,
              },
            }
          : {}),
      },
      environment: { NODE_OPTIONS: '--enable-source-maps' },
    });
  }
}
