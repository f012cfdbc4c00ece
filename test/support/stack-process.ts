/**
 * The local stack in a process of its own, so a test can kill it with SIGKILL like a crashing machine
 * would. Usage: stack-process <dynamoEndpoint> <tableName> <dataDir> <adminToken> <logFile>. Prints
 * {"url","gitPid"} as one line on stdout once ready; SIGTERM stops it cleanly.
 */
import { appendFileSync } from 'node:fs';
import { bootstrapAdmin } from '../../lib/app/users.ts';
import { startLocalStack } from '../../lib/local/stack.ts';
import { makeLogger } from '../../lib/log/logger.ts';

const [dynamoEndpoint = '', tableName = '', dataDir = '', adminToken = '', logFile = ''] =
  process.argv.slice(2);
const stack = await startLocalStack({
  port: 0,
  dataDir,
  logger: makeLogger((line) => appendFileSync(logFile, `${line}\n`)),
  // stdout carries the ready line the test waits for: the EMF metric lines go to the log file too.
  metricsSink: (line) => appendFileSync(logFile, `${line}\n`),
  shared: { dynamoEndpoint, tableName },
});
await bootstrapAdmin(stack.deps.users, stack.deps.clock, adminToken);
process.stdout.write(`${JSON.stringify({ url: stack.http.url, gitPid: stack.git?.pid })}\n`);
process.once('SIGTERM', () => {
  stack.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
