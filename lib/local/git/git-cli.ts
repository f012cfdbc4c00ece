import { spawn } from 'node:child_process';
import { FerryError } from '../../domain/errors.ts';

export class GitCommandError extends FerryError {
  readonly code = 'git_command';
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} exited with ${exitCode}: ${stderr.trim().slice(-500)}`);
  }
}

/** Author and committer for commits made by the local tooling, so no git config is needed. */
export const LOCAL_GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Ferry Local',
  GIT_AUTHOR_EMAIL: 'ferry@localhost',
  GIT_COMMITTER_NAME: 'Ferry Local',
  GIT_COMMITTER_EMAIL: 'ferry@localhost',
};

/**
 * The environment for git commands: without inherited GIT_* variables (a git hook exports GIT_DIR and
 * GIT_INDEX_FILE, which would aim every command at the caller's repository), without the user's and the
 * system's config (signing, URL rewrites, hooks paths), and never prompting for credentials on a tty.
 */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  return {
    ...env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    ...LOCAL_GIT_IDENTITY,
    ...extra,
  };
}

/** Runs git to completion and returns its stdout; a non-zero exit rejects with a GitCommandError. */
export function runGit(
  args: string[],
  options: { cwd?: string; input?: string | Buffer } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: gitEnv(), stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString())
        : reject(new GitCommandError(args, code, Buffer.concat(err).toString())),
    );
    // git may exit before reading all input (a bad fast-import stream); the exit code tells why, not EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}
