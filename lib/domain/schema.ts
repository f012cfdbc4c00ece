import type { QueryParams } from './query.ts';
import { invalid, isPlainObject, type JsonObject, join, knownFields, typeName } from './validate.ts';

/**
 * Declarative descriptions of the API's inputs, written as the JSON Schema subset OpenAPI 3.1 uses. Each
 * parser reads its field list and field types from its description (`readFields`, `checkQuery`), and the
 * OpenAPI document (`GET /api/openapi.json`) is generated from the same objects, so the document cannot
 * name a field the handler refuses or miss one it accepts. Semantic rules (DNS labels, sha formats, policy
 * contradictions) stay in the parsers' code and show in the descriptions as `pattern`/`description`.
 */
export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

export interface JsonSchema {
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  enum?: readonly (string | number | boolean | null)[];
  pattern?: string;
  format?: string;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  $ref?: string;
  oneOf?: JsonSchema[];
  const?: unknown;
}

/** Go clients send unset fields as `null`; those read as "not set" (see validate.ts). */
export function nullable(schema: JsonSchema): JsonSchema {
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  return { ...schema, type: [...types.filter((t) => t !== 'null'), 'null'] };
}

export function object(
  properties: Record<string, JsonSchema>,
  options: { required?: string[]; description?: string } = {},
): JsonSchema {
  return {
    type: 'object',
    ...(options.description ? { description: options.description } : {}),
    properties,
    ...(options.required?.length ? { required: options.required } : {}),
    additionalProperties: false,
  };
}

export function fieldsOf(schema: JsonSchema): string[] {
  return Object.keys(schema.properties ?? {});
}

const typesOf = (schema: JsonSchema): JsonType[] =>
  schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];

function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

function article(type: JsonType): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/**
 * Reads an object against its description: unknown keys refused (case-insensitively, as Go clients may
 * capitalise), each present field of the declared JSON type (null allowed only where declared). Returns
 * the fields by their declared names for the parser's semantic checks.
 */
export function readFields<K extends string = string>(
  schema: JsonSchema,
  value: unknown,
  path: string,
): Partial<Record<K, unknown>> {
  if (!isPlainObject(value)) invalid(path, `must be an object, got ${typeName(value)}`);
  const fields = knownFields(value as JsonObject, path, fieldsOf(schema) as K[]);
  for (const [key, v] of Object.entries(fields) as [K, unknown][]) {
    const field = schema.properties?.[key];
    if (!field || v === undefined) continue;
    const allowed = typesOf(field);
    if (allowed.length === 0) continue;
    const actual = jsonTypeOf(v);
    const ok = allowed.includes(actual) || (actual === 'integer' && allowed.includes('number'));
    if (!ok)
      invalid(
        join(path, key),
        `must be ${article(allowed.find((t) => t !== 'null') ?? 'null')}, got ${typeName(v)}`,
      );
  }
  return fields;
}

/** One query parameter, as the parser reads it and the document describes it. */
export interface QueryParamSpec {
  description: string;
  schema: JsonSchema;
  required?: boolean;
  /** `sha=a&sha=b`; otherwise a second value is refused. */
  repeatable?: boolean;
}

export type QuerySpec = Record<string, QueryParamSpec>;

/** Gimlet clients may authenticate with `?access_token=`; it is accepted on every route. */
const ALWAYS_ALLOWED = ['access_token'];

/**
 * Checks a query string against its description: unknown parameters and repeats of single ones are
 * refused, required ones must be there, integers must be integers in range and enumerations one of theirs.
 */
export function checkQuery(params: QueryParams, spec: QuerySpec): void {
  const known = [...Object.keys(spec), ...ALWAYS_ALLOWED];
  for (const [key, values] of Object.entries(params)) {
    const param = spec[key];
    if (!param) {
      if (ALWAYS_ALLOWED.includes(key)) continue;
      invalid(key, `unknown query parameter (expected one of ${known.join(', ')})`);
    }
    if (!param.repeatable && values.length > 1) invalid(key, 'may be given once');
    for (const value of values) {
      if (value === '') continue;
      const { schema } = param;
      if (typesOf(schema).includes('integer')) {
        const n = Number(value);
        const min = schema.minimum ?? Number.MIN_SAFE_INTEGER;
        const max = schema.maximum ?? Number.MAX_SAFE_INTEGER;
        if (!/^-?\d+$/.test(value) || n < min || n > max) {
          invalid(key, `must be an integer from ${min} to ${max}, got "${value}"`);
        }
      }
      if (schema.enum && !schema.enum.includes(value)) {
        invalid(key, `must be one of ${schema.enum.join(', ')}, got "${value}"`);
      }
    }
  }
  for (const [key, param] of Object.entries(spec)) {
    if (param.required && !(params[key] ?? []).some((v) => v !== '')) invalid(key, 'is required');
  }
}
