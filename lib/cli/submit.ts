import type { Created } from './api.ts';
import { wantsJson } from './args.ts';
import { connect } from './client.ts';
import type { CliIo } from './command.ts';
import { printJson } from './format.ts';
import { followOptions, followRequest } from './wait.ts';

export interface SubmitFlags {
  server?: string;
  token?: string;
  output?: string;
  wait?: boolean;
  timeout?: string;
}

/**
 * deploy, rollback and delete: POST a request, print its id (first, so it can be tracked later even if
 * the wait is cut short), then optionally follow it. Flags are checked before anything is sent.
 */
export async function submitRequest(
  flags: SubmitFlags,
  io: CliIo,
  path: string,
  body: object,
  headers: Record<string, string> = {},
): Promise<void> {
  const json = wantsJson(flags.output);
  const follow = followOptions(flags, json, io.env);
  const client = connect(flags, io);
  const created = await client.post<Created>(path, body, headers);
  if (follow.wait) {
    if (!json) io.stdout.write(`${created.id}\n`);
    await followRequest(client, created.id, follow, io);
  } else if (json) {
    printJson(io.stdout, created);
  } else {
    io.stdout.write(`${created.id}\n`);
  }
}

interface DryRun {
  env: string;
  app: string;
  changes: { path: string; change: string }[];
  diff: string;
  blockedBy?: string;
}

/** `--dry-run`: the diff a release would make, written as `git diff` prints it; nothing is released. */
export async function printDryRun(flags: SubmitFlags, io: CliIo, body: object): Promise<void> {
  const result = await connect(flags, io).post<DryRun>('/api/releases', body, {}, { dryRun: 'true' });
  if (wantsJson(flags.output)) return printJson(io.stdout, result);
  if (result.blockedBy) io.stdout.write(`# would be refused: ${result.blockedBy}\n`);
  if (result.changes.length === 0) io.stdout.write(`# ${result.env}/${result.app}: no changes\n`);
  io.stdout.write(result.diff);
}
