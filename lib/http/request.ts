import { PayloadTooLargeError, ValidationError } from '../domain/errors.ts';
import type { QueryParams } from '../domain/query.ts';
import { checkJson } from '../domain/validate.ts';
import type { HttpEvent } from './types.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Query parameters from the raw query string: API Gateway joins repeated keys with commas in
 * `queryStringParameters`, which would merge `sha=a&sha=b` into one value.
 */
export function queryParams(event: HttpEvent): QueryParams {
  // No prototype: a key such as `__proto__` or `constructor` is an ordinary (unknown) parameter, never
  // Object.prototype's (which made `?__proto__=1` a 500).
  const params: QueryParams = Object.create(null);
  for (const [key, value] of new URLSearchParams(event.rawQueryString ?? '')) {
    const values = Object.hasOwn(params, key) ? (params[key] as string[]) : [];
    values.push(value);
    params[key] = values;
  }
  return params;
}

/** `Authorization: Bearer <t>` (or a bare token, as GimletD accepted), else `?access_token=` (Gimlet clients). */
export function presentedToken(event: HttpEvent): string | undefined {
  const header = event.headers?.authorization?.trim();
  if (header) return header.replace(/^bearer\s+/i, '').trim();
  return queryParams(event).access_token?.[0] || undefined;
}

export function bodyBytes(event: HttpEvent): Buffer {
  const raw = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
}

export function readJsonBody(event: HttpEvent): unknown {
  const bytes = bodyBytes(event);
  if (bytes.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `request body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES} (1 MiB)`,
    );
  }
  if (bytes.length === 0) throw new ValidationError('request body is empty; expected JSON');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ValidationError(`request body is not valid JSON: ${(error as Error).message}`);
  }
  checkJson(parsed, 'request body');
  return parsed;
}

export function pathParam(event: HttpEvent, name: string): string {
  const raw = event.pathParameters?.[name];
  if (!raw) throw new ValidationError(`${name}: missing from the path`);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ValidationError(`${name}: malformed percent-encoding in the path`);
  }
}

/**
 * Parameters that GimletD took from the query string and Ferry also takes as a JSON body (rollback,
 * delete). The same key in both with different values is refused rather than guessed at.
 */
export function queryOrBody(event: HttpEvent): Record<string, unknown> {
  const fields: Record<string, unknown> = Object.create(null);
  for (const [key, values] of Object.entries(queryParams(event))) {
    if (key === 'access_token') continue;
    if (values.length > 1) throw new ValidationError(`${key}: may be given once`);
    fields[key] = values[0];
  }
  if (bodyBytes(event).length === 0) return fields;
  const body = readJsonBody(event);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('request body must be a JSON object');
  }
  for (const [key, value] of Object.entries(body)) {
    if (Object.hasOwn(fields, key) && fields[key] !== value) {
      throw new ValidationError(`${key}: given in both the query string and the body, with different values`);
    }
    fields[key] = value;
  }
  return fields;
}

export function header(event: HttpEvent, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()] ?? undefined;
}
