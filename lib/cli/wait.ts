import { setTimeout as sleep } from 'node:timers/promises';
import type { ReleaseRequest, RequestState, StateEntry } from './api.ts';
import { parseDuration } from './args.ts';
import type { FerryClient } from './client.ts';
import type { CliIo } from './command.ts';
import { RequestError, TimeoutError, UsageError } from './errors.ts';
import { printJson } from './format.ts';

export interface FollowOptions {
  wait: boolean;
  timeout: string;
  timeoutMs: number;
  intervalMs: number;
  /** While waiting with no new state, a progress line this often (FERRY_PROGRESS_INTERVAL_MS, default 15 s). */
  progressMs: number;
  json: boolean;
}

/** Read before a request is submitted, so a typo in `--timeout` does not leave a release behind. */
export function followOptions(
  values: { wait?: boolean; timeout?: string },
  json: boolean,
  env: CliIo['env'],
): FollowOptions {
  const timeout = values.timeout ?? '10m';
  const millis = (name: string, fallback: string) => {
    const value = env[name] ?? fallback;
    if (!/^[1-9]\d*$/.test(value)) {
      throw new UsageError(`${name} must be a positive number of milliseconds, got "${value}"`);
    }
    return Number(value);
  };
  return {
    wait: values.wait ?? false,
    timeout,
    timeoutMs: parseDuration('timeout', timeout),
    intervalMs: millis('FERRY_POLL_INTERVAL_MS', '1000'),
    progressMs: millis('FERRY_PROGRESS_INTERVAL_MS', '15000'),
    json,
  };
}

/**
 * The line printed for a state, kept plain so CI logs can be grepped:
 *   `<state>[  <detail>]`
 * where detail is the time for `requested`, `gitops <sha 8>` for `committed`, the reason for
 * `unchanged`, `superseded` and `failed`, and nothing otherwise: `requested  2026-11-22T10:00:00.000Z`, `queued`,
 * `committed  gitops 1a2b3c4d`, `reconciling`, `succeeded`, `failed  <reason>`.
 */
export function stateLine(entry: StateEntry): string {
  const detail: Record<string, string | undefined> = {
    requested: entry.at,
    committed: entry.gitopsSha && `gitops ${entry.gitopsSha.slice(0, 8)}`,
    unchanged: entry.reason,
    superseded: entry.reason,
    waiting: entry.reason,
    failed: entry.reason,
  };
  const extra = detail[entry.state];
  return extra ? `${entry.state}  ${extra}` : entry.state;
}

/** What a request in this state is waiting for, in the words a progress line uses. */
export function waitingFor(request: ReleaseRequest): string {
  switch (request.state) {
    case 'requested':
    case 'queued':
      return 'waiting for the writer to commit it to the gitops repository';
    case 'waiting':
      return `held at the release gate: ${request.reason ?? 'conditions unmet'}`;
    case 'committed':
    case 'reconciling':
      return `waiting for Flux in ${request.env} to report on gitops ${request.gitopsSha?.slice(0, 8) ?? '?'}`;
    default:
      return `waiting (${request.state})`;
  }
}

/** `1m05s`, `42s`. */
export function elapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

/**
 * Shows a request's states; with `wait`, polls `GET /api/releases/{id}` until it is done. Each poll
 * prints the states not printed yet, history first (states passed between two polls still show), so
 * the output is one line per state whatever the poll interval. While no new state comes, a progress
 * line goes to stderr every `progressMs` (state, time waited, what it waits for); the wait ends with a
 * `done:` line on stderr, or the failure or timeout. A failed request exits 1, a timeout 3.
 */
export async function followRequest(
  client: FerryClient,
  id: string,
  options: FollowOptions,
  io: CliIo,
): Promise<void> {
  const printed = new Set<RequestState>();
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let lastOutput = started;
  let last: ReleaseRequest | undefined;
  for (;;) {
    const request = await poll(client, id, options.wait, io);
    if (request) {
      last = request;
      if (!options.json && printNewStates(request, printed, io)) lastOutput = Date.now();
      if (request.done || !options.wait) break;
      if (!options.json && Date.now() - lastOutput >= options.progressMs) {
        io.stderr.write(
          `ferry: still ${request.state} after ${elapsed(Date.now() - started)}: ${waitingFor(request)} (timeout ${options.timeout})\n`,
        );
        lastOutput = Date.now();
      }
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      if (options.json && last) printJson(io.stdout, last);
      const state = last ? ` (last state: ${last.state})` : '';
      throw new TimeoutError(`timed out after ${options.timeout} waiting for ${id}${state}`);
    }
    await sleep(Math.min(options.intervalMs, left));
  }
  if (options.json) printJson(io.stdout, last);
  if (last.done && last.outcome === 'failure') {
    throw new RequestError(`${last.intent} ${id} failed: ${last.reason ?? 'no reason given'}`);
  }
  if (options.wait && !options.json) {
    io.stderr.write(
      `ferry: done: ${last.intent} ${id} ${last.state} after ${elapsed(Date.now() - started)}\n`,
    );
  }
}

/** While waiting, an unreachable server or a 5xx is a blip to ride out until the timeout; a 4xx is not. */
async function poll(
  client: FerryClient,
  id: string,
  wait: boolean,
  io: CliIo,
): Promise<ReleaseRequest | undefined> {
  try {
    return await client.get<ReleaseRequest>(`/api/releases/${encodeURIComponent(id)}`);
  } catch (error) {
    const transient = error instanceof RequestError && (error.status === undefined || error.status >= 500);
    if (!wait || !transient) throw error;
    io.stderr.write(`ferry: ${error.message}; still waiting\n`);
    return undefined;
  }
}

function printNewStates(request: ReleaseRequest, printed: Set<RequestState>, io: CliIo): boolean {
  let any = false;
  // The current state too, in case a server's history lags behind it.
  const current: StateEntry = {
    state: request.state,
    at: request.createdAt ?? '',
    reason: request.reason,
    gitopsSha: request.gitopsSha,
  };
  for (const entry of [...(request.states ?? []), current]) {
    if (printed.has(entry.state)) continue;
    printed.add(entry.state);
    io.stdout.write(`${stateLine(entry)}\n`);
    any = true;
  }
  return any;
}
