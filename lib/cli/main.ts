import type { CliIo, Command } from './command.ts';
import { artifactPush } from './commands/artifact-push.ts';
import { deleteApp } from './commands/delete.ts';
import { deploy } from './commands/deploy.ts';
import { envInit } from './commands/env-init.ts';
import {
  approvalRule,
  approve,
  freezeAdd,
  freezeDelete,
  governance,
  override,
  reject,
  start,
  stop,
} from './commands/governance.ts';
import { login } from './commands/login.ts';
import { policyApply, policyDelete, policyEvaluate, policyList } from './commands/policy.ts';
import { promote } from './commands/promote.ts';
import { releases } from './commands/releases.ts';
import { requeue } from './commands/requeue.ts';
import { resume } from './commands/resume.ts';
import { rollback } from './commands/rollback.ts';
import { status } from './commands/status.ts';
import { track } from './commands/track.ts';
import { CliError, EXIT_OK, UsageError } from './errors.ts';

const COMMANDS: readonly Command[] = [
  artifactPush,
  deploy,
  promote,
  rollback,
  deleteApp,
  resume,
  requeue,
  releases,
  status,
  track,
  envInit,
  login,
  policyList,
  policyApply,
  policyDelete,
  policyEvaluate,
  governance,
  stop,
  start,
  freezeAdd,
  freezeDelete,
  approvalRule,
  approve,
  reject,
  override,
];

const OVERVIEW = `ferry: ship release artifacts to Ferry and follow what it releases

Usage: ferry <command> [flags]        ferry <command> --help shows a command's flags

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(18)}${c.summary}`).join('\n')}

Server and token: FERRY_SERVER and FERRY_TOKEN (or GIMLET_SERVER and GIMLET_TOKEN), or --server and --token.
Exit codes: 0 ok, 1 request failed or server error, 2 usage error, 3 timed out.
`;

/**
 * The whole CLI as a function: `argv` without node and the script, everything else through `io`, the
 * exit code as the result. Errors are printed here, once, as `ferry: <message>` on stderr.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    await dispatch(argv, io);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`ferry: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`ferry: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<void> {
  const [first] = argv;
  if (first === undefined) throw new UsageError('missing command (see ferry help)');
  if (first === 'help' || first === '--help' || first === '-h') {
    const topic = argv.slice(1);
    const command = topic.length > 0 ? find(topic) : undefined;
    if (topic.length > 0 && !command) throw unknown(topic);
    io.stdout.write(command ? `${command.usage}\n` : OVERVIEW);
    return;
  }
  const command = find(argv);
  if (!command) throw unknown(argv);
  const args = argv.slice(command.name.split(' ').length);
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return;
  }
  await command.run(args, io);
}

function find(words: string[]): Command | undefined {
  return COMMANDS.find((c) => c.name.split(' ').every((word, i) => words[i] === word));
}

function unknown(words: string[]): UsageError {
  return new UsageError(`unknown command "${words.slice(0, 2).join(' ')}" (see ferry help)`);
}
