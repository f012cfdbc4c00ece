import { Duration } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface FerryFunctionProps {
  /** Entry file under functions/, without extension: `http-artifacts`. */
  name: string;
  timeout?: Duration;
  memorySize?: number;
  reservedConcurrency?: number;
}

const ROOT = new URL('..', import.meta.url).pathname;

/**
 * The house Lambda: Node 22 on arm64, JSON logs, an ESM bundle built by the esbuild in node_modules (no
 * Docker), AWS SDK included. The `require` shim lets CommonJS dependencies inside the ESM bundle load Node built-ins.
 */
export class FerryFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: FerryFunctionProps) {
    super(scope, id, {
      entry: `${ROOT}functions/${props.name}.ts`,
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      ...(props.reservedConcurrency ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      loggingFormat: LoggingFormat.JSON,
      logGroup: new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH }),
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        banner:
          "import { createRequire as __ferryRequire } from 'node:module';const require = __ferryRequire(import.meta.url);",
        forceDockerBundling: false,
        // Pin the SDK we test against instead of whatever the runtime ships; the bundle is self-contained.
        bundleAwsSDK: true,
      },
      environment: { NODE_OPTIONS: '--enable-source-maps' },
    });
  }
}
