import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runGit } from './git-cli.ts';

export interface GitServer {
  /** Base URL, e.g. http://127.0.0.1:PORT. */
  url: string;
  /** Process id of the child that serves the repositories. */
  pid: number;
  repoUrl(name: string): string;
  stop(): Promise<void>;
}

const CHILD_SCRIPT = fileURLToPath(new URL('./git-http-child.ts', import.meta.url));
// Resolved from here rather than by name so the child finds tsx whatever the caller's working directory.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const START_TIMEOUT_MS = 15_000;

/**
 * Serves every bare repository under `root` over git's smart HTTP protocol (`git http-backend`), from a
 * child process: a server inside this process would deadlock against synchronous git calls made here.
 * A child that dies unasked (killed, crashed) is started again on the same port, so the writer's next
 * attempt finds the remote back, as a real remote comes back after an outage.
 */
export async function startGitServer(options: {
  root: string;
  port?: number;
  host?: string;
  /** Told when the child died and is being restarted (the local stack logs it). */
  onRestart?: (detail: { code: number | null; signal: string | null; output: string }) => void;
}): Promise<GitServer> {
  const host = options.host ?? '127.0.0.1';
  let stopping = false;
  let current = await spawnChild(options.root, options.port ?? 0, host);
  const port = current.port;

  const supervise = (running: RunningChild) => {
    running.child.once('exit', (code, signal) => {
      if (stopping) return;
      options.onRestart?.({ code, signal, output: running.output().trim().slice(-500) });
      const again = async (): Promise<void> => {
        if (stopping) return;
        try {
          current = await spawnChild(options.root, port, host);
          if (stopping) await current.stop();
          else supervise(current);
        } catch {
          // The port may still be held for a moment; try again shortly.
          setTimeout(() => void again(), 250).unref();
        }
      };
      void again();
    });
  };
  supervise(current);

  const url = `http://${host}:${port}`;
  return {
    url,
    get pid() {
      return current.child.pid ?? -1;
    },
    repoUrl: (name) => `${url}/${name.split('/').map(encodeURIComponent).join('/')}`,
    async stop() {
      stopping = true;
      await current.stop();
    },
  };
}

interface RunningChild {
  child: ChildProcessWithoutNullStreams;
  port: number;
  output(): string;
  stop(): Promise<void>;
}

async function spawnChild(root: string, port: number, host: string): Promise<RunningChild> {
  const args = ['--import', TSX_LOADER, CHILD_SCRIPT, resolve(root), String(port), host];
  const child = spawn(process.execPath, args, { stdio: 'pipe' });
  let output = '';
  child.stderr.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  // stdin only exists so that the child notices when this process dies; nothing is written to it.
  child.stdin.on('error', () => undefined);
  // A failed spawn (or kill) arrives as an event; unhandled, it would take this process down.
  child.on('error', (error) => {
    output += `\n${error.message}`;
  });
  // If this process ends without calling stop() (an uncaught error, process.exit), take the child along;
  // on a SIGKILL of this process the child sees its stdin close and exits by itself.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      done();
    }),
  );

  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const chosen = await reportedPort(child, () => output);
    return { child, port: chosen, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function reportedPort(child: ChildProcessWithoutNullStreams, output: () => string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let line = '';
    const finish = (error: Error | undefined, port?: number) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', finish);
      child.stdout.off('data', onData);
      // Nothing else is expected on stdout, but an undrained pipe would stall the child if it came.
      child.stdout.resume();
      if (error) reject(error);
      else resolvePort(port ?? 0);
    };
    const onData = (d: Buffer) => {
      line += d.toString();
      const end = line.indexOf('\n');
      if (end < 0) return;
      let port: unknown;
      try {
        port = (JSON.parse(line.slice(0, end)) as { port?: unknown }).port;
      } catch {
        // Reported below with the line itself.
      }
      if (typeof port === 'number') finish(undefined, port);
      else finish(new Error(`git server child reported no port: ${line.slice(0, end)}`));
    };
    const onExit = (code: number | null) =>
      finish(new Error(`git server child exited with ${code} before listening: ${output().trim()}`));
    const timer = setTimeout(
      () =>
        finish(
          new Error(`git server child did not listen within ${START_TIMEOUT_MS} ms: ${output().trim()}`),
        ),
      START_TIMEOUT_MS,
    );
    child.once('exit', onExit);
    child.once('error', finish);
    child.stdout.on('data', onData);
  });
}

/** `git init --bare` under `root`, accepting pushes over HTTP even from a server that sets no REMOTE_USER. */
export async function createBareRepo(
  root: string,
  name: string,
  options: { branch?: string } = {},
): Promise<string> {
  const path = join(resolve(root), name);
  await mkdir(path, { recursive: true });
  await runGit(['init', '--quiet', '--bare', `--initial-branch=${options.branch ?? 'main'}`, path]);
  await runGit(['--git-dir', path, 'config', 'http.receivepack', 'true']);
  return path;
}
