import type { CliIo } from './command.ts';
import { RequestError, UsageError } from './errors.ts';

export interface Connection {
  server: string;
  token: string;
}

/** Flags win over FERRY_*, which win over GIMLET_* so existing Gimlet CI secrets keep working. */
export function resolveConnection(
  flags: { server?: string; token?: string },
  env: Record<string, string | undefined>,
): Connection {
  const server = flags.server || env.FERRY_SERVER || env.GIMLET_SERVER;
  const token = flags.token || env.FERRY_TOKEN || env.GIMLET_TOKEN;
  if (!server || !token) {
    const missing = [server ? '' : 'server', token ? '' : 'token'].filter(Boolean).join(' and ');
    throw new UsageError(
      `no ${missing}: set FERRY_SERVER and FERRY_TOKEN (or GIMLET_SERVER and GIMLET_TOKEN), or pass --server and --token`,
    );
  }
  if (!/^https?:\/\//.test(server)) {
    throw new UsageError(`the server must be an http(s) URL, got "${server}"`);
  }
  return { server: server.replace(/\/+$/, ''), token };
}

type Query = Record<string, string | number | undefined>;

// A hung server must not hold a CI job until the runner's own limit.
const REQUEST_TIMEOUT_MS = 60_000;

/** JSON over HTTP with the bearer token; every failure becomes a RequestError (exit 1). */
export class FerryClient {
  constructor(
    private readonly connection: Connection,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path, query);
  }

  post<T>(path: string, body: unknown, headers: Record<string, string> = {}, query: Query = {}): Promise<T> {
    return this.request<T>('POST', path, query, body, headers);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path, {});
  }

  private async request<T>(
    method: string,
    path: string,
    query: Query,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const url = new URL(this.connection.server + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${this.connection.token}`,
      ...extraHeaders,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new RequestError(`cannot reach ${this.connection.server}: ${reason(error)}`, undefined, {
        cause: error,
      });
    }
    const text = await response.text();
    const json = parseJson(text);
    if (!response.ok) {
      const message =
        errorMessage(json) ?? (text.trim().split('\n')[0]?.slice(0, 200) || response.statusText);
      throw new RequestError(`${this.redact(message)} (HTTP ${response.status})`, response.status);
    }
    if (response.status === 204) return undefined as T;
    if (json === undefined) {
      throw new RequestError(
        `${method} ${path} answered without JSON (HTTP ${response.status})`,
        response.status,
      );
    }
    return json as T;
  }

  /** Belt and braces: whatever a server echoes back, the token never reaches a CI log. */
  private redact(text: string): string {
    return text.replaceAll(this.connection.token, '***');
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Ferry's (and this API's) error body: `{"error":{"code","message"}}`. */
function errorMessage(json: unknown): string | undefined {
  const message = (json as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}

// fetch() says only "fetch failed"; the cause says ECONNREFUSED or ENOTFOUND.
function reason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : (error as Error).message;
}

export function connect(flags: { server?: string; token?: string }, io: CliIo): FerryClient {
  return new FerryClient(resolveConnection(flags, io.env), io.fetch);
}
