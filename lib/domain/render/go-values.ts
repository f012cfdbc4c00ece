/**
 * The values a Gimlet template works with, typed as Go sees them, so that printing, truth and the type
 * checks at function calls give Go's results: strings, Go ints (`int`, and sprig's `int64` results, which
 * Go refuses where an `int` is expected), float64, bool, nil, lists and string-keyed maps. The data is
 * Gimlet's `map[string]string` of variables (pkg/dx/manifest.go ResolveVars).
 */
export type GoValue = string | number | boolean | null | GoInt | GoList | GoMap;

export class GoInt {
  constructor(
    readonly value: bigint,
    readonly type: 'int' | 'int64' | 'uint8' = 'int',
  ) {}
}

export class GoList {
  constructor(
    readonly items: GoValue[],
    readonly type: '[]interface {}' | '[]string' | '[]int' = '[]interface {}',
  ) {}
}

export class GoMap {
  constructor(
    readonly entries: Map<string, GoValue>,
    readonly type: 'map[string]string' | 'map[string]interface {}' = 'map[string]interface {}',
  ) {}

  /** What Go's map index yields for a missing key: the element type's zero value. */
  zero(): GoValue {
    return this.type === 'map[string]string' ? '' : null;
  }
}

/** Go wraps int64 arithmetic; BigInt does not, so every result goes through here. */
export function int64(value: bigint, type: GoInt['type'] = 'int64'): GoInt {
  return new GoInt(BigInt.asIntN(64, value), type);
}

export function typeName(value: GoValue): string {
  if (value === null) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'float64';
  if (typeof value === 'boolean') return 'bool';
  return value.type;
}

/** Go's template truth (exec.go isTrue): zero values, empty strings and empty collections are false. */
export function isTrue(value: GoValue): boolean {
  if (value === null) return false;
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  if (value instanceof GoInt) return value.value !== 0n;
  if (value instanceof GoList) return value.items.length > 0;
  return value.entries.size > 0;
}

/** fmt's `%v`: `[a b]` for lists, `map[k:v]` with sorted keys, `<nil>` for nil. */
export function formatValue(value: GoValue): string {
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatFloat(value);
  if (typeof value === 'boolean') return String(value);
  if (value instanceof GoInt) return value.value.toString();
  if (value instanceof GoList) return `[${value.items.map(formatValue).join(' ')}]`;
  return `map[${sortedKeys(value)
    .map((k) => `${k}:${formatValue(value.entries.get(k) ?? null)}`)
    .join(' ')}]`;
}

/** How an action prints its value (exec.go printValue): a missing value is `<no value>`. */
export function printValue(value: GoValue): string {
  return value === null ? '<no value>' : formatValue(value);
}

/** A value as error messages quote it: never more than 60 characters of the artifact's text. */
export function brief(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** A bound on how long a value prints, to refuse amplification before the string is built. */
export function approxLength(v: GoValue): number {
  if (typeof v === 'string') return v.length;
  if (v instanceof GoList) return v.items.reduce<number>((n, i) => n + approxLength(i) + 1, 2);
  if (v instanceof GoMap)
    return [...v.entries].reduce<number>((n, [k, i]) => n + k.length + approxLength(i) + 2, 5);
  return 24;
}

/** Go ranges over, prints and encodes maps in sorted key order. */
export function sortedKeys(map: GoMap): string[] {
  return [...map.entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * strconv.FormatFloat(f, 'g', -1, 64), which `%v` uses: the shortest digits that round-trip, in
 * exponent form when the exponent is below -4 or at least 6 (so 1e6 prints `1e+06`).
 */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mantissa = '', exp = '0'] = f.toExponential().split('e');
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 6) {
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  return String(f);
}

/** Go strings are UTF-8 bytes: `len` and sprig's `trunc`/`substr` count bytes, not characters. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/**
 * Go's strings.ToLower/ToUpper map rune by rune with Unicode's *simple* case mappings (unicode.ToLower),
 * while JavaScript applies SpecialCasing: "İ".toLowerCase() is "i̇" (two runes) in JavaScript but "i" in Go
 * (UnicodeData.txt: 0130 → 0069), "ß".toUpperCase() is "SS" but Go leaves "ß", and JavaScript's final
 * sigma rule (ΑΣ → ας) does not exist in Go. Mapping one code point at a time avoids the contextual rules;
 * the few code points whose full mapping has several runes fall back to their simple mapping below.
 */
export function goLower(s: string): string {
  if (!/[^\p{ASCII}]/u.test(s)) return s.toLowerCase();
  let out = '';
  for (const ch of s) out += ch === '\u0130' ? 'i' : ch.toLowerCase();
  return out;
}

export function goUpper(s: string): string {
  if (!/[^\p{ASCII}]/u.test(s)) return s.toUpperCase();
  let out = '';
  for (const ch of s) {
    const upper = ch.toUpperCase();
    out += [...upper].length === 1 ? upper : simpleUpper(ch);
  }
  return out;
}

/**
 * The simple uppercase of the code points whose SpecialCasing expands (ß, ŉ, ǰ, ligatures, Greek with
 * ypogegrammeni): only the Greek letters with ypogegrammeni have one (U+1F80–1FA7 → +8, ᾳ ῃ ῳ → +9,
 * their UnicodeData.txt field 12); every other stays as it is, as in Go.
 */
function simpleUpper(ch: string): string {
  const c = ch.codePointAt(0) ?? 0;
  if (c >= 0x1f80 && c <= 0x1fa7 && (c & 0xf) < 8) return String.fromCodePoint(c + 8);
  if (c === 0x1fb3 || c === 0x1fc3 || c === 0x1ff3) return String.fromCodePoint(c + 9);
  return ch;
}

// unicode.ToTitle differs from ToUpper only for the four digraphs (Ǆǅǆ, Ǉǈǉ, Ǌǋǌ, Ǳǲǳ → the middle one).
const TITLE_DIGRAPHS: Record<string, string> = {
  Ǆ: 'ǅ',
  ǅ: 'ǅ',
  ǆ: 'ǅ',
  Ǉ: 'ǈ',
  ǈ: 'ǈ',
  ǉ: 'ǈ',
  Ǌ: 'ǋ',
  ǋ: 'ǋ',
  ǌ: 'ǋ',
  Ǳ: 'ǲ',
  ǲ: 'ǲ',
  ǳ: 'ǲ',
};

/**
 * Go's strings.Title (sprig's `title`): the first letter of each word in title case, where a word
 * boundary is any rune that is not an ASCII letter, digit or `_`, not a Unicode letter or digit, or is a
 * space (strings.go isSeparator).
 */
export function goTitle(s: string): string {
  let out = '';
  let previous = ' ';
  for (const ch of s) {
    out += isSeparator(previous) ? (TITLE_DIGRAPHS[ch] ?? goUpper(ch)) : ch;
    previous = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  if (ch <= '\x7f') return !/[0-9A-Za-z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

/** unicode.IsSpace: ASCII white space plus U+0085, U+00A0 and the White_Space property. */
export function isGoSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0x85 ||
    code === 0xa0 ||
    (code > 0xff && /\s/u.test(String.fromCodePoint(code)) && code !== 0xfeff)
  );
}

/**
 * strconv.Quote (fmt's `%q`): Go escapes `"`, `\`, control characters (`\x01`, `\n`) and runes that are
 * not printable (`\u00ad`), and keeps every other Unicode character as it is; JSON.stringify differs.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0b) out += '\\v';
    else if (isPrint(ch)) out += ch;
    else if (c < 0x80) out += `\\x${hex(c, 2)}`;
    else if (c < 0x10000) out += `\\u${hex(c, 4)}`;
    else out += `\\U${hex(c, 8)}`;
  }
  return `${out}"`;
}

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(ch: string): boolean {
  return ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
