/**
 * The dashboard's one way to call Ferry: same origin, bearer token from sessionStorage (never a URL, never
 * localStorage), errors turned into the three states a person can act on.
 */
const TOKEN_KEY = 'ferry.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  save: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export type Failure = 'expired' | 'forbidden' | 'unreachable' | 'refused';

/** A call that did not succeed: `kind` says what the person can do about it. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly kind: Failure,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Told when any call meets a 401, so the shell can go back to the login form. */
let onExpired: (message: string) => void = () => undefined;
export const whenExpired = (handler: (message: string) => void) => {
  onExpired = handler;
};

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = session.token(),
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'omit',
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(
      'unreachable',
      0,
      'Ferry is unreachable: check the network or whether Ferry is running.',
    );
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (res.ok) return parsed as T;
  const message =
    (parsed as { error?: { message?: string } } | undefined)?.error?.message ??
    `${res.status} ${res.statusText}`;
  if (res.status === 401) {
    const error = new ApiError(
      'expired',
      401,
      `Your token was not accepted (expired or revoked): ${message}`,
    );
    onExpired(error.message);
    throw error;
  }
  if (res.status === 403) throw new ApiError('forbidden', 403, `Not allowed: ${message}`);
  if (res.status >= 500 || res.status === 502 || res.status === 504) {
    throw new ApiError('unreachable', res.status, `Ferry answered ${res.status}: ${message}`);
  }
  throw new ApiError('refused', res.status, message);
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown) => api<T>('POST', path, body);

export const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};
