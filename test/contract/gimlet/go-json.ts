import { goJson } from '../../support/flux.ts';

/**
 * A small model of Go's `encoding/json` for the gimlet CLI's structs, so the contract tests send bodies
 * byte-for-byte as `json.Marshal` writes them and read answers as `json.Unmarshal` would.
 *
 * Marshal: fields in struct order; `omitempty` drops "", 0, false, nil pointers/interfaces and empty
 * slices/maps, but never a struct (so `dx.Manifest.Tenant` is always `"tenant":{}`); nil slices, maps and
 * pointers without `omitempty` are `null`; map keys are sorted; `<`, `>`, `&` are escaped.
 * Unmarshal: keys match field tags case-insensitively, unknown keys are ignored; JSON null leaves a
 * string/number/bool/struct at its zero value without error; any other type mismatch is an
 * `UnmarshalTypeError` (the CLI exits 1); integers must be integer literals in range.
 * GitEvent and CleanupEvent marshal as strings and unmarshal any string (unknown ones to the zero value).
 */
export type GoType =
  | { k: 'string' }
  | { k: 'int64' }
  | { k: 'bool' }
  | { k: 'any' }
  | { k: 'enum'; values: readonly string[] }
  | { k: 'ptr'; elem: GoType }
  | { k: 'slice'; elem: GoType }
  | { k: 'map'; elem: GoType }
  | { k: 'struct'; name: string; fields: GoField[] };

export interface GoField {
  json: string;
  type: GoType;
  omitempty?: boolean;
}

export const str: GoType = { k: 'string' };
export const int64: GoType = { k: 'int64' };
export const bool: GoType = { k: 'bool' };
export const any: GoType = { k: 'any' };
export const ptr = (elem: GoType): GoType => ({ k: 'ptr', elem });
export const slice = (elem: GoType): GoType => ({ k: 'slice', elem });
export const map = (elem: GoType): GoType => ({ k: 'map', elem });
export const enumOf = (...values: string[]): GoType => ({ k: 'enum', values });
export const struct = (name: string, fields: [string, GoType, ('omitempty' | undefined)?][]): GoType => ({
  k: 'struct',
  name,
  fields: fields.map(([json, type, omit]) => ({ json, type, omitempty: omit === 'omitempty' })),
});

/** Go values as plain data: structs keyed by their JSON names, nil as null, enums by their string. */
export type GoValue = unknown;

export function zero(type: GoType): GoValue {
  switch (type.k) {
    case 'string':
      return '';
    case 'int64':
      return 0;
    case 'bool':
      return false;
    case 'enum':
      return type.values[0];
    case 'struct':
      return Object.fromEntries(type.fields.map((f) => [f.json, zero(f.type)]));
    default:
      return null;
  }
}

function isEmpty(type: GoType, value: GoValue): boolean {
  switch (type.k) {
    case 'string':
      return value === '';
    case 'int64':
      return value === 0;
    case 'bool':
      return value === false;
    case 'enum':
      return value === type.values[0];
    case 'struct':
      return false;
    case 'slice':
      return value === null || (value as unknown[]).length === 0;
    case 'map':
      return value === null || Object.keys(value as object).length === 0;
    default:
      return value === null || value === undefined;
  }
}

function toData(type: GoType, value: GoValue): unknown {
  if (value === undefined) value = zero(type);
  switch (type.k) {
    case 'ptr':
      return value === null ? null : toData(type.elem, value);
    case 'slice':
      return value === null ? null : (value as GoValue[]).map((v) => toData(type.elem, v));
    case 'map':
      return value === null ? null : sortedMap(value as Record<string, GoValue>, (v) => toData(type.elem, v));
    case 'any':
      return anyData(value);
    case 'struct': {
      const out: Record<string, unknown> = {};
      const record = value as Record<string, GoValue>;
      for (const field of type.fields) {
        const v = record[field.json] === undefined ? zero(field.type) : record[field.json];
        if (field.omitempty && isEmpty(field.type, v)) continue;
        out[field.json] = toData(field.type, v);
      }
      return out;
    }
    default:
      return value;
  }
}

function anyData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(anyData);
  if (value && typeof value === 'object') return sortedMap(value as Record<string, unknown>, anyData);
  return value;
}

function sortedMap<T>(record: Record<string, T>, f: (v: T) => unknown): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((k) => [k, f(record[k] as T)]),
  );
}

/** `json.Marshal(value)` for a value of `type`. */
export function goMarshal(type: GoType, value: GoValue): string {
  return goJson(toData(type, value));
}

export class UnmarshalTypeError extends Error {
  override name = 'UnmarshalTypeError';
}

/**
 * `json.Unmarshal(body, &out)` into a fresh value of `type`: throws as Go would return an error
 * (invalid JSON, or a value of the wrong JSON type for its field), else the Go value with zero values
 * filled in, which is what the CLI's logic then reads.
 */
export function goUnmarshal(type: GoType, body: string): GoValue {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    throw new UnmarshalTypeError(`invalid JSON: ${(error as Error).message}`);
  }
  const errors: string[] = [];
  const out = decode(type, data, zero(type), '', errors);
  if (errors.length > 0) throw new UnmarshalTypeError(errors[0]);
  return out;
}

function decode(type: GoType, data: unknown, current: GoValue, path: string, errors: string[]): GoValue {
  const where = path || '(top)';
  const mismatch = (want: string) => {
    errors.push(`json: cannot unmarshal ${jsonType(data)} into Go value of type ${want} at ${where}`);
    return current;
  };
  if (data === null) {
    return type.k === 'ptr' || type.k === 'slice' || type.k === 'map' || type.k === 'any' ? null : current;
  }
  switch (type.k) {
    case 'string':
      return typeof data === 'string' ? data : mismatch('string');
    case 'bool':
      return typeof data === 'boolean' ? data : mismatch('bool');
    case 'int64':
      return typeof data === 'number' && Number.isSafeInteger(data) ? data : mismatch('int64');
    case 'enum':
      if (typeof data !== 'string') return mismatch('string');
      return type.values.includes(data) ? data : type.values[0];
    case 'any':
      return data;
    case 'ptr':
      return decode(type.elem, data, current ?? zero(type.elem), path, errors);
    case 'slice':
      if (!Array.isArray(data)) return mismatch('slice');
      return data.map((v, i) => decode(type.elem, v, zero(type.elem), `${path}[${i}]`, errors));
    case 'map': {
      if (typeof data !== 'object' || Array.isArray(data)) return mismatch('map');
      const out: Record<string, GoValue> = {};
      for (const [key, v] of Object.entries(data as object)) {
        out[key] = decode(type.elem, v, zero(type.elem), `${path}.${key}`, errors);
      }
      return out;
    }
    case 'struct': {
      if (typeof data !== 'object' || Array.isArray(data)) return mismatch(type.name);
      const out = { ...(current as Record<string, GoValue>) };
      for (const [key, v] of Object.entries(data as object)) {
        const field =
          type.fields.find((f) => f.json === key) ??
          type.fields.find((f) => f.json.toLowerCase() === key.toLowerCase());
        if (!field) continue;
        out[field.json] = decode(field.type, v, out[field.json], `${path}.${field.json}`, errors);
      }
      return out;
    }
  }
}

function jsonType(data: unknown): string {
  if (Array.isArray(data)) return 'array';
  if (typeof data === 'object') return 'object';
  return typeof data === 'boolean' ? 'bool' : typeof data;
}

/**
 * What gopkg.in/yaml.v3 decodes a `.gimlet/<env>.yaml` into (`gimlet artifact add --envFile`): keys match
 * the yaml tags exactly, unknown keys are dropped, everything else is set as written.
 */
export function fromYaml(type: GoType, data: unknown): GoValue {
  if (data === null || data === undefined) return zero(type);
  switch (type.k) {
    case 'struct': {
      const out = zero(type) as Record<string, GoValue>;
      for (const field of type.fields) {
        const v = (data as Record<string, unknown>)[field.json];
        if (v !== undefined) out[field.json] = fromYaml(field.type, v);
      }
      return out;
    }
    case 'ptr':
      return fromYaml(type.elem, data);
    case 'slice':
      return (data as unknown[]).map((v) => fromYaml(type.elem, v));
    case 'map':
      return Object.fromEntries(Object.entries(data as object).map(([k, v]) => [k, fromYaml(type.elem, v)]));
    case 'enum':
      return type.values.includes(String(data)) ? String(data) : type.values[0];
    case 'string':
      return String(data);
    default:
      return data;
  }
}
