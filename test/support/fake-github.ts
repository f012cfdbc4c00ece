import type { IncomingMessage, ServerResponse } from 'node:http';
import { startTextServer } from './local-server.ts';

export interface GitHubCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
  /** What the server answered. */
  status: number;
  /** When the request arrived (ms since the epoch). */
  at: number;
}

export interface GitHubStatus {
  owner: string;
  repo: string;
  sha: string;
  state: string;
  context: string;
  description?: string;
  target_url?: string;
}

/**
 * 429 and 403 come with `Retry-After: 1` (GitHub's secondary rate limit); `exhausted` is the primary limit
 * used up (403, `x-ratelimit-remaining: 0`, reset in a second); 500 is a plain server error.
 */
export type GitHubFailure = 429 | 403 | 'exhausted' | 500;

export interface FakeGitHub {
  /** The REST API base URL, for Octokit's `baseUrl`. */
  url: string;
  calls: GitHubCall[];
  /** Commit statuses created, oldest first. */
  statuses: GitHubStatus[];
  failNext(count: number, status: GitHubFailure): void;
  close(): Promise<void>;
}

const STATES = new Set(['pending', 'success', 'failure', 'error']);

/**
 * A local GitHub REST API with the one route Ferry calls: POST /repos/{owner}/{repo}/statuses/{sha}.
 * Like GitHub it takes `Authorization: Bearer <token>` or `token <token>`, answers 401 otherwise, and
 * 422 for a state it does not know or a description over 140 characters.
 */
export async function startFakeGitHub(token: string): Promise<FakeGitHub> {
  const calls: GitHubCall[] = [];
  const statuses: GitHubStatus[] = [];
  const failures: GitHubFailure[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const at = Date.now();
    const path = (req.url ?? '').split('?')[0] ?? '';
    const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      calls.push({
        method: req.method ?? '',
        path,
        authorization: req.headers.authorization,
        body,
        status,
        at,
      });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(payload));
    };
    const failure = failures.shift();
    if (failure === 500) return answer(500, { message: 'Server Error' });
    if (failure === 'exhausted') {
      return answer(
        403,
        { message: 'API rate limit exceeded for user ID 1.' },
        {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1),
        },
      );
    }
    if (failure) {
      return answer(
        failure,
        {
          message:
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        },
        { 'retry-after': '1' },
      );
    }
    const auth = /^(?:bearer|token) (.+)$/i.exec(req.headers.authorization ?? '');
    if (auth?.[1] !== token) return answer(401, { message: 'Bad credentials' });
    const route = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{7,64})$/.exec(path);
    if (req.method !== 'POST' || !route) return answer(404, { message: 'Not Found' });
    const [, owner = '', repo = '', sha = ''] = route;
    const {
      state,
      context = 'default',
      description,
      target_url,
    } = body as Record<string, string | undefined>;
    if (!state || !STATES.has(state) || (description?.length ?? 0) > 140) {
      return answer(422, { message: 'Validation Failed' });
    }
    const status: GitHubStatus = { owner, repo, sha, state, context };
    if (description !== undefined) status.description = description;
    if (target_url !== undefined) status.target_url = target_url;
    statuses.push(status);
    return answer(201, {
      id: statuses.length,
      state,
      context,
      description,
      target_url,
      created_at: new Date(),
    });
  };

  const server = await startTextServer(handle);
  return {
    url: `${server.origin}`,
    calls,
    statuses,
    failNext: (count, status) => failures.push(...Array<GitHubFailure>(count).fill(status)),
    close: server.close,
  };
}
