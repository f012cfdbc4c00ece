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
  json: boolean;
}

/** Read before a request is submitted, so a typo in `--timeout` does not leave a release behind. */
export function followOptions(
  values: { wait?: boolean; timeout?: string },
  json: boolean,
  env: CliIo['env'],
): FollowOptions {
  const timeout = values.timeout ?? '10m';
  const interval = env.FERRY_POLL_INTERVAL_MS ?? '1000';
  if (!/^[1-9]\d*$/.test(interval)) {
    throw new UsageError(
      `FERRY_POLL_INTERVAL_MS must be a positive number of milliseconds, got "${interval}"`,
    );
  }
  return {
    wait: values.wait ?? false,
    timeout,
    timeoutMs: parseDuration('timeout', timeout),
    intervalMs: Number(interval),
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
    failed: entry.reason,
  };
  const extra = detail[entry.state];
  return extra ? `${entry.state}  ${extra}` : entry.state;
}

/**
 * Shows a request's states; with `wait`, polls `GET /api/releases/{id}` until it is done. Each poll
 * prints the states not printed yet, history first (states passed between two polls still show), so
 * the output is one line per state whatever the poll interval. A failed request exits 1, a timeout 3.
 */
export async function followRequest(
  client: FerryClient,
  id: string,
  options: FollowOptions,
  io: CliIo,
): Promise<void> {
  const printed = new Set<RequestState>();
  const deadline = Date.now() + options.timeoutMs;
  let last: ReleaseRequest | undefined;
  for (;;) {
    const request = await poll(client, id, options.wait, io);
    if (request) {
      last = request;
      if (!options.json) printNewStates(request, printed, io);
      if (request.done || !options.wait) break;
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

function printNewStates(request: ReleaseRequest, printed: Set<RequestState>, io: CliIo): void {
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
  }
}
