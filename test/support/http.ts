export interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

/** One HTTP call with an optional bearer token and JSON body; the answer's body parsed as JSON. */
export async function requestJson(
  baseUrl: string,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Buffer | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  // The dashboard's static files are the only non-JSON answers: they come back as text.
  const json = (res.headers.get('content-type') ?? '').includes('json');
  return { status: res.status, body: text ? (json ? JSON.parse(text) : text) : undefined };
}
