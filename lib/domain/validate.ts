import { ValidationError } from './errors.ts';

/**
 * Small readers for untrusted JSON. Every failure names the field path
 * (`environments[1].app: must be a DNS-1123 label`) so a CI log says exactly what to fix.
 *
 * Absent, `null` and (for strings) `""` all read as "not set": Gimlet's Go client serialises unset
 * struct fields as `null` or `""`, and those artifacts must keep working.
 */
export type JsonObject = Record<string, unknown>;

/** Drops keys whose value is undefined: optional fields are absent, never present-and-undefined. */
export function compact<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

export function invalid(path: string, message: string): never {
  throw new ValidationError(path ? `${path}: ${message}` : message);
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readObject(value: unknown, path: string): JsonObject {
  if (!isPlainObject(value)) invalid(path, `must be an object, got ${typeName(value)}`);
  return value;
}

export function optionalObject(value: unknown, path: string): JsonObject | undefined {
  return value === undefined || value === null ? undefined : readObject(value, path);
}

/**
 * Reads an object's keys against a known list. Keys match case-insensitively because Go's JSON decoder
 * does (Gimlet fixtures send `App`, `Env`, `Chart`); unknown keys are rejected so a typo such as
 * `deply:` fails loudly instead of silently never deploying.
 */
export function knownFields<K extends string>(
  object: JsonObject,
  path: string,
  known: readonly K[],
): Partial<Record<K, unknown>> {
  const byLower = new Map(known.map((k) => [k.toLowerCase(), k]));
  const out: Partial<Record<K, unknown>> = {};
  for (const [key, value] of Object.entries(object)) {
    const canonical = byLower.get(key.toLowerCase());
    if (canonical === undefined) {
      invalid(join(path, key), `unknown field (expected one of ${known.join(', ')})`);
    }
    if (canonical in out) invalid(join(path, key), `duplicates field ${canonical}`);
    out[canonical] = value;
  }
  return out;
}

/**
 * Fields newer Gimlet versions know but Ferry does not implement: accepted when empty (Go clients may
 * send `null`), refused with a plain explanation when used.
 */
export function unsupported(value: unknown, path: string, why: string): void {
  const empty =
    value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
  if (!empty) invalid(path, `is not supported: ${why}`);
}

export function optionalString(value: unknown, path: string, maxLength = 4096): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') invalid(path, `must be a string, got ${typeName(value)}`);
  if (value.length > maxLength) invalid(path, `must be at most ${maxLength} characters`);
  return value;
}

export function requiredString(value: unknown, path: string, maxLength?: number): string {
  const s = optionalString(value, path, maxLength);
  if (s === undefined) invalid(path, 'is required');
  return s;
}

export function optionalBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') invalid(path, `must be a boolean, got ${typeName(value)}`);
  return value;
}

export function optionalInteger(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    invalid(path, `must be an integer, got ${typeName(value)}`);
  }
  return value;
}

export function optionalArray(value: unknown, path: string): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) invalid(path, `must be an array, got ${typeName(value)}`);
  return value;
}

export function optionalStringMap(value: unknown, path: string): Record<string, string> | undefined {
  const object = optionalObject(value, path);
  if (object === undefined) return undefined;
  for (const [key, v] of Object.entries(object)) {
    if (typeof v !== 'string') invalid(join(path, key), `must be a string, got ${typeName(v)}`);
  }
  return object as Record<string, string>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** An RFC 3339 time as epoch milliseconds. */
export function rfc3339(value: string, path: string): number {
  const ms = Date.parse(value);
  if (!RFC3339.test(value) || Number.isNaN(ms)) {
    invalid(path, `must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got "${value}"`);
  }
  return ms;
}

export function oneOf<T extends string>(value: string, path: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    invalid(path, `must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** Deeper JSON than any artifact, policy or event needs; deeper input would only exhaust recursion later. */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses a parsed JSON value nested deeper than MAX_JSON_DEPTH, without recursing itself, or holding a
 * number JSON.parse turned into Infinity (`1e999`): JSON.stringify would write it as null, so a value that
 * is re-sent (to invoke-render) or stored would change meaning instead of being refused.
 */
export function checkJson(value: unknown, what: string): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item === 'number' && !Number.isFinite(item)) {
      throw new ValidationError(`${what}: holds a number too large for JSON (it reads as ${item})`);
    }
    if (typeof item !== 'object' || item === null) continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new ValidationError(`${what}: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
}
