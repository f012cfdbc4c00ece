import { TemplateProblem } from './errors.ts';
import type { GoFunction } from './functions.ts';
import { formatGo } from './go-fmt.ts';
import {
  approxLength,
  GoInt,
  GoList,
  GoMap,
  type GoValue,
  isTrue,
  printValue,
  typeName,
  utf8,
  utf8Length,
} from './go-values.ts';

/**
 * text/template's own functions (golang/go src/text/template/funcs.go builtins()): comparison, logic,
 * `len`, `index`, the print family and the escapers. `and`/`or` stop at the deciding argument, which the
 * executor arranges by evaluating their arguments one at a time (Go 1.18+).
 */
/** html: Go's HTMLEscapeString. */
function htmlEscape(s: string): string {
  return s.replace(
    /["'&<>]/g,
    (c) => ({ '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c,
  );
}

/** js: Go's JSEscapeString. */
function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === "'" || ch === '"') out += `\\${ch}`;
    else if (ch === '<') out += '\\x3C';
    else if (ch === '>') out += '\\x3E';
    else if (c < 0x20) out += `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (c >= 0x80 && !/^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch))
      out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** urlquery: Go's url.QueryEscape (space as `+`, only `-_.~` and alphanumerics kept). */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** fmt.Sprint: a space between operands when neither is a string. Template builtins print nil as `<no value>`. */
function sprint(args: GoValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printValue(a);
  });
  return out;
}

/** The single-string fast path of text/template's evalArgs, otherwise fmt.Sprint. */
function evalArgs(args: GoValue[]): string {
  return args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args);
}

/** Comparison of basic kinds (funcs.go eq/lt): ints with ints, floats with floats, strings with strings. */
function basic(fn: string, v: GoValue): 'bool' | 'int' | 'float' | 'string' | undefined {
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoInt) return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'string';
  if (fn !== 'eq') throw new TemplateProblem(`error calling ${fn}: invalid type for comparison`);
  return undefined;
}

function scalar(v: GoValue): string | number | bigint | boolean | null {
  return v instanceof GoInt ? v.value : (v as string | number | boolean | null);
}

function eq(a: GoValue, others: GoValue[]): boolean {
  if (others.length === 0) throw new TemplateProblem('error calling eq: missing argument for comparison');
  const k1 = basic('eq', a);
  for (const b of others) {
    const k2 = basic('eq', b);
    if (k1 !== k2) {
      if (a !== null && b !== null)
        throw new TemplateProblem('error calling eq: incompatible types for comparison');
    } else if (k1 === undefined) {
      if (a !== null || b !== null) {
        throw new TemplateProblem(`error calling eq: non-comparable types ${typeName(a)}, ${typeName(b)}`);
      }
      return true;
    } else if (scalar(a) === scalar(b)) return true;
  }
  return false;
}

function lt(fn: string, a: GoValue, b: GoValue): boolean {
  const k1 = basic(fn, a);
  const k2 = basic(fn, b);
  if (k1 !== k2) throw new TemplateProblem(`error calling ${fn}: incompatible types for comparison`);
  if (k1 === 'bool') throw new TemplateProblem(`error calling ${fn}: invalid type for comparison`);
  return (scalar(a) as string) < (scalar(b) as string);
}

function indexOf(item: GoValue, indexes: GoValue[]): GoValue {
  let v = item;
  for (const index of indexes) {
    if (v === null) throw new TemplateProblem('error calling index: index of untyped nil');
    if (v instanceof GoList || typeof v === 'string') {
      if (!(index instanceof GoInt)) {
        throw new TemplateProblem(
          `error calling index: cannot index slice/array with type ${typeName(index)}`,
        );
      }
      const at = index.value;
      const bytes = typeof v === 'string' ? utf8(v) : undefined;
      const length = BigInt(bytes ? bytes.length : (v as GoList).items.length);
      if (at < 0n || at >= length)
        throw new TemplateProblem(`error calling index: index out of range: ${at}`);
      v = bytes
        ? new GoInt(BigInt(bytes[Number(at)] ?? 0), 'uint8')
        : ((v as GoList).items[Number(at)] ?? null);
    } else if (v instanceof GoMap) {
      if (typeof index !== 'string') {
        throw new TemplateProblem(`error calling index: value has type ${typeName(index)}; should be string`);
      }
      v = v.entries.has(index) ? (v.entries.get(index) ?? null) : v.zero();
    } else {
      throw new TemplateProblem(`error calling index: can't index item of type ${typeName(v)}`);
    }
  }
  return v;
}

function length(v: GoValue): GoValue {
  if (typeof v === 'string') return new GoInt(BigInt(utf8Length(v)));
  if (v instanceof GoList) return new GoInt(BigInt(v.items.length));
  if (v instanceof GoMap) return new GoInt(BigInt(v.entries.size));
  throw new TemplateProblem(
    `error calling len: len of ${v === null ? 'nil pointer' : `type ${typeName(v)}`}`,
  );
}

const any = (v: GoValue | undefined) => v ?? null;
const printed = (args: GoValue[]) => args.reduce<number>((n, a) => n + approxLength(a) + 1, 1);

export const BUILTINS: Record<string, GoFunction> = {
  and: { params: ['any'], variadic: 'any', call: (args) => args.find((a) => !isTrue(a)) ?? any(args.at(-1)) },
  or: { params: ['any'], variadic: 'any', call: (args) => args.find(isTrue) ?? any(args.at(-1)) },
  not: { params: ['any'], call: ([a]) => !isTrue(any(a)) },
  len: { params: ['any'], call: ([a]) => length(any(a)) },
  index: { params: ['any'], variadic: 'any', call: ([item, ...rest]) => indexOf(any(item), rest) },
  eq: { params: ['any'], variadic: 'any', call: ([a, ...rest]) => eq(any(a), rest) },
  ne: { params: ['any', 'any'], call: ([a, b]) => !eq(any(a), [any(b)]) },
  lt: { params: ['any', 'any'], call: ([a, b]) => lt('lt', any(a), any(b)) },
  le: { params: ['any', 'any'], call: ([a, b]) => lt('le', any(a), any(b)) || eq(any(a), [any(b)]) },
  gt: { params: ['any', 'any'], call: ([a, b]) => !(lt('gt', any(a), any(b)) || eq(any(a), [any(b)])) },
  ge: { params: ['any', 'any'], call: ([a, b]) => !lt('ge', any(a), any(b)) },
  print: { params: [], variadic: 'any', size: printed, call: sprint },
  println: {
    params: [],
    variadic: 'any',
    size: printed,
    call: (args) => `${args.map(printValue).join(' ')}\n`,
  },
  // A verb can pad to any width: the format's own numbers count too.
  printf: {
    params: ['string'],
    variadic: 'any',
    size: ([format, ...args]) => printed(args) + String(format).length + widths(String(format)),
    call: ([format, ...args]) => formatGo(String(format), args),
  },
  html: {
    params: [],
    variadic: 'any',
    size: (args) => printed(args) * 6,
    call: (args) => htmlEscape(evalArgs(args)),
  },
  js: {
    params: [],
    variadic: 'any',
    size: (args) => printed(args) * 6,
    call: (args) => jsEscape(evalArgs(args)),
  },
  urlquery: {
    params: [],
    variadic: 'any',
    size: (args) => printed(args) * 9,
    call: (args) => queryEscape(evalArgs(args)),
  },
};

function widths(format: string): number {
  return [...format.matchAll(/%[-+# 0]*([0-9]+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}
