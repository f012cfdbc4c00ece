import { PayloadTooLargeError, ValidationError } from '../domain/errors.ts';
import type { QueryParams } from '../domain/query.ts';
import type { HttpEvent } from './types.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Query parameters from the raw query string: API Gateway joins repeated keys with commas in
 * `queryStringParameters`, which would merge `sha=a&sha=b` into one value.
 */
export function queryParams(event: HttpEvent): QueryParams {
  const params: QueryParams = {};
  for (const [key, value] of new URLSearchParams(event.rawQueryString ?? '')) {
    const values = params[key] ?? [];
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
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ValidationError(`request body is not valid JSON: ${(error as Error).message}`);
  }
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
  const fields: Record<string, unknown> = {};
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
    if (key in fields && fields[key] !== value) {
      throw new ValidationError(`${key}: given in both the query string and the body, with different values`);
    }
    fields[key] = value;
  }
  return fields;
}

export function header(event: HttpEvent, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()] ?? undefined;
}
