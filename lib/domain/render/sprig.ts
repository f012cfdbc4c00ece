import { createHash } from 'node:crypto';
import { TemplateProblem } from './errors.ts';
import type { GoFunction } from './functions.ts';
import {
  approxLength,
  brief,
  GoInt,
  GoList,
  GoMap,
  type GoValue,
  goLower,
  goQuote,
  goTitle,
  goUpper,
  int64,
  isGoSpace,
  isTrue,
  sortedKeys,
  formatValue as strval,
  typeName,
  utf8,
  utf8Length,
} from './go-values.ts';
import {
  allMatches,
  compileRegex,
  execRegex,
  expandReplacement,
  RegexUnsupported,
  slice,
  subject,
} from './re2.ts';

/**
 * The Sprig v3.3.0 functions Ferry implements (Masterminds/sprig functions.go genericMap, which Gimlet
 * registers with `sprig.GenericFuncMap()`), plus Gimlet's own sanitizeDNSName, each with Go's signature
 * and Go's result, edge cases included: Go strings are bytes (`trunc`, `substr`, `len` count bytes),
 * integer helpers go through spf13/cast v1.7.0 (failures become 0) and wrap at 64 bits.
 */

/** Gimlet's sanitizeDNSName cuts at 53: Helm's release name limit (pkg/dx/manifest.go). */
const DNS_NAME_LIMIT = 53;

/**
 * Gimlet's sanitizeDNSName (pkg/dx/manifest.go, gimlet-v1.0.0-beta.18): strings.ToLower, every run of
 * characters outside [0-9a-z] becomes one `-`, the first 53 *bytes* are kept, then one leading and one
 * trailing `-` are trimmed. Lower-casing is Go's (goLower), so "İstanbul" gives "istanbul" as in Go, where
 * JavaScript's toLowerCase would give "i̇stanbul" and so "i-stanbul". After the replacement the string is
 * ASCII, so bytes and characters agree.
 */
export function sanitizeDnsName(value: string): string {
  let s = goLower(value).replace(/[^0-9a-z]+/g, '-');
  if (s.length > DNS_NAME_LIMIT) s = s.slice(0, DNS_NAME_LIMIT);
  if (s.endsWith('-')) s = s.slice(0, -1);
  if (s.startsWith('-')) s = s.slice(1);
  return s;
}

/** spf13/cast v1.7.0 ToInt64 as Sprig uses it (errors become 0): strings parse with base prefixes. */
export function toInt64(v: GoValue): bigint {
  if (v === null) return 0n;
  if (v instanceof GoInt) return v.value;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt.asIntN(64, BigInt(Math.trunc(v))) : 0n;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string') return parseGoInt(trimZeroDecimal(v)) ?? 0n;
  return 0n;
}

/** cast's trimZeroDecimal: "12.00" → "12", while "12.50" stays (and so fails to parse). */
function trimZeroDecimal(s: string): string {
  let foundZero = false;
  for (let i = s.length; i > 0; i--) {
    const c = s[i - 1];
    if (c === '.') {
      if (foundZero) return s.slice(0, i - 1);
    } else if (c === '0') foundZero = true;
    else return s;
  }
  return s;
}

/** strconv.ParseInt(s, 0, 64): optional sign, `0x`/`0o`/`0b`/leading-`0` octal prefixes, `_` between digits. */
function parseGoInt(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(s);
  if (!m) return undefined;
  const [, sign, digits = ''] = m;
  const prefixed = digits.includes('_');
  if (prefixed && !/^0[xXbBoO]?(_?[0-9a-fA-F])+$/.test(digits) && !/^[1-9](_?[0-9])*$/.test(digits))
    return undefined;
  const clean = digits.replaceAll('_', '');
  const value = BigInt(/^0[0-7]+$/.test(clean) ? `0o${clean.slice(1)}` : clean);
  const signed = sign === '-' ? -value : value;
  return signed === BigInt.asIntN(64, signed) ? signed : undefined;
}

/** Go's strings.Split (sep "" splits into UTF-8 sequences, i.e. characters). */
function splitGo(s: string, sep: string): string[] {
  return sep === '' ? [...s] : s.split(sep);
}

/** Sprig's strslice: a list's non-nil items as strings, a single value as a one-item list. */
function strslice(v: GoValue): string[] {
  if (v instanceof GoList) return v.items.filter((i) => i !== null).map(strval);
  return v === null ? [] : [strval(v)];
}

/** Byte slicing as Go does it; a cut inside a multi-byte character is refused rather than corrupting text. */
function byteSlice(fn: string, s: string, start: number, end: number): string {
  const bytes = utf8(s);
  const slice = bytes.subarray(start, end);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(slice);
  if (utf8Length(text) !== slice.length || text.includes('\ufffd') !== s.includes('\ufffd')) {
    throw new TemplateProblem(
      `error calling ${fn}: the cut at byte ${start}..${end} splits a multi-byte character of ${brief(s)}; Go would write invalid UTF-8`,
    );
  }
  return text;
}

/** sprig trunc: bytes; a negative length keeps the end. */
function trunc(c: number, s: string): string {
  const length = utf8Length(s);
  if (c < 0 && length + c > 0) return byteSlice('trunc', s, length + c, length);
  if (c >= 0 && length > c) return byteSlice('trunc', s, 0, c);
  return s;
}

/** sprig substring: Go panics (a template error) where its slice bounds are out of range. */
function substr(start: number, end: number, s: string): string {
  const length = utf8Length(s);
  const bounds = (lo: number, hi: number) => {
    if (lo < 0 || hi > length || lo > hi) {
      throw new TemplateProblem(
        `error calling substr: runtime error: slice bounds out of range [${lo}:${hi}] with length ${length}`,
      );
    }
    return byteSlice('substr', s, lo, hi);
  };
  if (start < 0) return bounds(0, end);
  if (end < 0 || end > length) return bounds(start, length);
  return bounds(start, end);
}

/** goutils Abbreviate(str, width) with sprig's `width < 4` guard; byte based like trunc. */
function abbrev(width: number, s: string): string {
  const length = utf8Length(s);
  if (width < 4 || s === '' || length <= width) return s;
  return `${byteSlice('abbrev', s, 0, width - 3)}...`;
}

/**
 * goutils DeleteWhiteSpace as Sprig v3.3.0 ships it: it walks *bytes* and writes each kept byte back as a
 * rune, so once any white space is removed, non-ASCII text comes back as Latin-1 mojibake ("é x" →
 * "Ã©x"), and the bytes 0x85 and 0xA0 count as white space. Reproduced because Gimlet commits exactly that.
 */
function nospace(s: string): string {
  const bytes = utf8(s);
  let kept = '';
  for (const b of bytes) if (!isGoSpace(b)) kept += String.fromCharCode(b);
  return kept.length === bytes.length ? s : kept;
}

/** Go's encoding/json (sprig's toJson): sorted map keys, and `<`, `>`, `&`, U+2028, U+2029 escaped. */
function toJson(v: GoValue): string {
  if (v instanceof GoList) return `[${v.items.map(toJson).join(',')}]`;
  if (v instanceof GoMap) {
    return `{${sortedKeys(v)
      .map((k) => `${toJson(k)}:${toJson(v.entries.get(k) ?? null)}`)
      .join(',')}}`;
  }
  if (v instanceof GoInt) return v.value.toString();
  // Go's json.Marshal fails on NaN and infinities; sprig's toJson then prints "".
  if (typeof v === 'number' && !Number.isFinite(v)) throw new TemplateProblem('toJson: unsupported value');
  return JSON.stringify(v).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Go's base64.StdEncoding.DecodeString; sprig returns the error text itself on bad input. */
function b64dec(s: string): string {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s.replace(/[\r\n]/g, ''))) {
    const bad = s.search(/[^A-Za-z0-9+/=\r\n]/);
    return `illegal base64 data at input byte ${bad === -1 ? utf8Length(s.replace(/[\r\n]/g, '')) : bad}`;
  }
  return Buffer.from(s, 'base64').toString('utf8');
}

function listOf(fn: string, v: GoValue): GoValue[] {
  if (v instanceof GoList) return v.items;
  throw new TemplateProblem(`error calling ${fn}: Cannot find ${fn} on type ${kindName(v)}`);
}

function kindName(v: GoValue): string {
  if (v instanceof GoMap) return 'map';
  if (v instanceof GoInt) return v.type;
  return typeName(v);
}

function intDivision(fn: 'div' | 'mod', a: bigint, b: bigint): GoInt {
  if (b === 0n) throw new TemplateProblem(`error calling ${fn}: runtime error: integer divide by zero`);
  return int64(fn === 'div' ? a / b : a % b);
}

/** strconv.Atoi with sprig's error-to-zero: decimal digits only, an optional sign, no prefixes. */
function parseAtoi(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) return 0n;
  const v = BigInt(s);
  return v === BigInt.asIntN(64, v) ? v : 0n;
}

/** Go's strings.Replace(s, old, new, -1); an empty `old` inserts `new` around every character. */
function replaceAll(s: string, from: string, to: string): string {
  return from === '' ? `${to}${[...s].join(to)}${s ? to : ''}` : s.replaceAll(from, to);
}

function replacedLength(s: string, from: string, to: string): number {
  const count = from === '' ? [...s].length + 1 : s.split(from).length - 1;
  return s.length + count * (to.length - from.length);
}

function indent(n: number, s: string): string {
  const pad = ' '.repeat(Math.max(n, 0));
  return pad + s.replaceAll('\n', `\n${pad}`);
}

/** strings.TrimSpace / TrimFunc with unicode.IsSpace. */
function trimFunc(s: string, drop: (code: number) => boolean): string {
  const chars = [...s];
  let start = 0;
  let end = chars.length;
  while (start < end && drop(chars[start]?.codePointAt(0) ?? 0)) start++;
  while (end > start && drop(chars[end - 1]?.codePointAt(0) ?? 0)) end--;
  return chars.slice(start, end).join('');
}

/** strings.Trim: the cutset is a set of characters, not a prefix. */
function trimCutset(s: string, cutset: string): string {
  const set = new Set(cutset);
  return trimFunc(s, (code) => set.has(String.fromCodePoint(code)));
}

const str = (v: GoValue | undefined) => v as string;
const int = (v: GoValue | undefined) => Number((v as GoInt).value);
const val = (v: GoValue | undefined) => v ?? null;

type Call = GoFunction['call'];
const strings = (n: number, call: (...s: string[]) => GoValue, size?: GoFunction['size']): GoFunction => ({
  params: Array(n).fill('string'),
  size,
  call: (args) => call(...args.map(str)),
});
const anyArgs = (call: Call, size?: GoFunction['size']): GoFunction => ({
  params: [],
  variadic: 'any',
  size,
  call,
});
const printed = (args: GoValue[]) => args.reduce<number>((n, a) => n + approxLength(a) + 3, 0);

// Declared apart: inside the object literal TypeScript takes `toString` for Object.prototype's.
const TO_STRING: GoFunction = { params: ['any'], size: printed, call: ([v]) => strval(val(v)) };

/** sprig regexMatch: a pattern that does not compile is simply no match (mustRegexMatch fails instead). */
function regexMatch(pattern: string, s: string, must: boolean): boolean {
  let re: ReturnType<typeof compileRegex>;
  try {
    re = compileRegex(pattern);
  } catch (error) {
    if (must || error instanceof RegexUnsupported) throw error;
    return false;
  }
  return execRegex(re, subject(s).cps, 0) !== undefined;
}

/** Go's ReplaceAllString / ReplaceAllLiteralString. */
function regexReplace(pattern: string, s: string, repl: string, literal: boolean): string {
  const re = compileRegex(pattern);
  const input = subject(s);
  let out = '';
  let last = 0;
  for (const caps of allMatches(re, input.cps)) {
    const [start = 0, end = 0] = caps;
    out += slice(input, last, start) + (literal ? repl : expandReplacement(re, repl, input, caps));
    last = end;
  }
  return out + slice(input, last, input.cps.length);
}

function regexFindAll(pattern: string, s: string, n: number): GoList {
  const input = subject(s);
  const matches = allMatches(compileRegex(pattern), input.cps).map(([start = 0, end = 0]) =>
    slice(input, start, end),
  );
  return new GoList(n < 0 ? matches : matches.slice(0, n), '[]string');
}

/** Replacements can grow the text by the replacement's length per character, at most. */
const replaced = ([, s, repl]: GoValue[]) => (str(s).length + 1) * (str(repl).length + 1) * 2;

export const SPRIG: Record<string, GoFunction> = {
  sanitizeDNSName: strings(1, sanitizeDnsName),
  // Defaults and flow
  default: {
    params: ['any'],
    variadic: 'any',
    call: ([d, ...given]) => (given.length === 0 || !isTrue(val(given[0])) ? val(d) : val(given[0])),
  },
  empty: { params: ['any'], call: ([v]) => !isTrue(val(v)) },
  coalesce: anyArgs((args) => args.find(isTrue) ?? null),
  ternary: { params: ['any', 'any', 'bool'], call: ([t, f, v]) => (v === true ? val(t) : val(f)) },
  fail: {
    params: ['string'],
    call: ([message]) => {
      throw new TemplateProblem(`error calling fail: ${str(message)}`);
    },
  },
  // Strings
  upper: strings(1, goUpper),
  lower: strings(1, goLower),
  title: strings(1, goTitle),
  trim: strings(1, (s) => trimFunc(s, isGoSpace)),
  nospace: strings(1, nospace),
  trimAll: strings(2, (cutset = '', s = '') => trimCutset(s, cutset)),
  trimPrefix: strings(2, (prefix = '', s = '') => (s.startsWith(prefix) ? s.slice(prefix.length) : s)),
  trimSuffix: strings(2, (suffix = '', s = '') =>
    suffix && s.endsWith(suffix) ? s.slice(0, -suffix.length) : s,
  ),
  contains: strings(2, (sub = '', s = '') => s.includes(sub)),
  hasPrefix: strings(2, (prefix = '', s = '') => s.startsWith(prefix)),
  hasSuffix: strings(2, (suffix = '', s = '') => s.endsWith(suffix)),
  replace: strings(
    3,
    (from = '', to = '', s = '') => replaceAll(s, from, to),
    ([from, to, s]) => replacedLength(str(s), str(from), str(to)),
  ),
  repeat: {
    params: ['int', 'string'],
    size: ([count, s]) => Math.max(int(count), 0) * str(s).length,
    call: ([count, s]) => {
      if (int(count) < 0) throw new TemplateProblem('error calling repeat: strings: negative Repeat count');
      return str(s).repeat(int(count));
    },
  },
  substr: { params: ['int', 'int', 'string'], call: ([a, b, s]) => substr(int(a), int(b), str(s)) },
  trunc: { params: ['int', 'string'], call: ([c, s]) => trunc(int(c), str(s)) },
  abbrev: { params: ['int', 'string'], call: ([w, s]) => abbrev(int(w), str(s)) },
  quote: anyArgs(
    (args) =>
      args
        .filter((a) => a !== null)
        .map((a) => goQuote(strval(a)))
        .join(' '),
    (args) => printed(args) * 10,
  ),
  squote: anyArgs(
    (args) =>
      args
        .filter((a) => a !== null)
        .map((a) => `'${strval(a)}'`)
        .join(' '),
    printed,
  ),
  cat: anyArgs(
    (args) =>
      args
        .filter((a) => a !== null)
        .map(strval)
        .join(' '),
    printed,
  ),
  indent: {
    params: ['int', 'string'],
    size: ([n, s]) => str(s).length + str(s).split('\n').length * Math.max(int(n), 0),
    call: ([n, s]) => indent(int(n), str(s)),
  },
  nindent: {
    params: ['int', 'string'],
    size: ([n, s]) => 1 + str(s).length + str(s).split('\n').length * Math.max(int(n), 0),
    call: ([n, s]) => `\n${indent(int(n), str(s))}`,
  },
  toString: TO_STRING,
  sha256sum: strings(1, (s) => createHash('sha256').update(s, 'utf8').digest('hex')),
  sha1sum: strings(1, (s) => createHash('sha1').update(s, 'utf8').digest('hex')),
  b64enc: strings(
    1,
    (s) => Buffer.from(s, 'utf8').toString('base64'),
    ([s]) => str(s).length * 3,
  ),
  b64dec: strings(1, b64dec),
  toJson: { params: ['any'], size: (args) => printed(args) * 6, call: ([v]) => toJson(val(v)) },
  // Regular expressions (RE2 syntax, linear time: re2.ts)
  regexMatch: strings(2, (re = '', s = '') => regexMatch(re, s, false)),
  mustRegexMatch: strings(2, (re = '', s = '') => regexMatch(re, s, true)),
  regexFind: strings(2, (re = '', s = '') => {
    const input = subject(s);
    const caps = execRegex(compileRegex(re), input.cps, 0);
    return caps ? slice(input, caps[0] ?? 0, caps[1] ?? 0) : '';
  }),
  regexFindAll: {
    params: ['string', 'string', 'int'],
    call: ([re, s, n]) => regexFindAll(str(re), str(s), int(n)),
  },
  regexReplaceAll: strings(3, (re = '', s = '', repl = '') => regexReplace(re, s, repl, false), replaced),
  regexReplaceAllLiteral: strings(
    3,
    (re = '', s = '', repl = '') => regexReplace(re, s, repl, true),
    replaced,
  ),
  // Lists
  list: anyArgs((args) => new GoList(args)),
  splitList: strings(2, (sep = '', s = '') => new GoList(splitGo(s, sep), '[]string')),
  split: strings(
    2,
    (sep = '', s = '') =>
      new GoMap(new Map(splitGo(s, sep).map((part, i) => [`_${i}`, part])), 'map[string]string'),
  ),
  join: {
    params: ['string', 'any'],
    size: ([sep, v]) => approxLength(val(v)) * (str(sep).length + 1),
    call: ([sep, v]) => strslice(val(v)).join(str(sep)),
  },
  first: { params: ['any'], call: ([v]) => listOf('first', val(v))[0] ?? null },
  last: { params: ['any'], call: ([v]) => listOf('last', val(v)).at(-1) ?? null },
  until: {
    params: ['int'],
    // Each item is an object: charged as 40 characters, a list stays near 100,000 items at most.
    size: ([n]) => Math.abs(int(n)) * 40,
    call: ([count]) => {
      const n = int(count);
      return new GoList(
        Array.from({ length: Math.abs(n) }, (_, i) => new GoInt(BigInt(n < 0 ? -i : i))),
        '[]int',
      );
    },
  },
  // Numbers: every integer helper goes through cast.ToInt64, returns int64 and wraps like Go.
  int: { params: ['any'], call: ([v]) => int64(toInt64(val(v)), 'int') },
  int64: { params: ['any'], call: ([v]) => int64(toInt64(val(v))) },
  atoi: { params: ['string'], call: ([s]) => int64(parseAtoi(str(s)), 'int') },
  add: anyArgs((args) => int64(args.reduce<bigint>((a, b) => a + toInt64(b), 0n))),
  add1: { params: ['any'], call: ([v]) => int64(toInt64(val(v)) + 1n) },
  sub: { params: ['any', 'any'], call: ([a, b]) => int64(toInt64(val(a)) - toInt64(val(b))) },
  mul: {
    params: ['any'],
    variadic: 'any',
    call: ([a, ...rest]) =>
      int64(rest.reduce((acc, b) => BigInt.asIntN(64, acc * toInt64(b)), toInt64(val(a)))),
  },
  div: { params: ['any', 'any'], call: ([a, b]) => intDivision('div', toInt64(val(a)), toInt64(val(b))) },
  mod: { params: ['any', 'any'], call: ([a, b]) => intDivision('mod', toInt64(val(a)), toInt64(val(b))) },
  max: {
    params: ['any'],
    variadic: 'any',
    call: ([a, ...rest]) => int64(rest.map(toInt64).reduce((m, b) => (b > m ? b : m), toInt64(val(a)))),
  },
  min: {
    params: ['any'],
    variadic: 'any',
    call: ([a, ...rest]) => int64(rest.map(toInt64).reduce((m, b) => (b < m ? b : m), toInt64(val(a)))),
  },
};
