import { TemplateProblem } from './errors.ts';
import {
  formatFloat,
  formatValue,
  GoInt,
  GoList,
  GoMap,
  type GoValue,
  goQuote,
  typeName,
  utf8,
} from './go-values.ts';

/**
 * Go's fmt.Sprintf as `printf` uses it (golang/go src/fmt/doc.go): flags `-+ 0`, width, precision and
 * the verbs %v %s %q %d %b %o %x %X %c %U %t %e %E %f %F %g %G %%. Like Go it never fails: a wrong verb
 * prints `%!d(string=abc)`, a missing operand `%!s(MISSING)`, extra operands `%!(EXTRA string=x)`.
 */
export function formatGo(format: string, args: GoValue[]): string {
  let out = '';
  let next = 0;
  const spec = /%([-+# 0]*)([0-9]+)?(?:\.([0-9]*))?(.?)/gsy;
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent === -1) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    spec.lastIndex = percent;
    const m = spec.exec(format) as RegExpExecArray;
    i = spec.lastIndex;
    const [, flags = '', width, precision, verb = ''] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (verb === '') {
      out += '%!(NOVERB)';
      continue;
    }
    if (next >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[next++] as GoValue;
    // JavaScript's toFixed/toPrecision stop at 100 digits; Go would print them, Ferry refuses.
    if (precision !== undefined && Number(precision) > 100) {
      throw new TemplateProblem(`printf: precision ${precision} is above the 100 Ferry supports`);
    }
    const options = {
      minus: flags.includes('-'),
      plus: flags.includes('+'),
      space: flags.includes(' '),
      zero: flags.includes('0') && !flags.includes('-'),
      width: width === undefined ? 0 : Number(width),
      precision: precision === undefined ? undefined : Number(precision || '0'),
    };
    out += formatOne(verb, arg, options);
  }
  if (next < args.length) {
    out += `%!(EXTRA ${args
      .slice(next)
      .map((a) => `${typeName(a)}=${formatValue(a)}`)
      .join(', ')})`;
  }
  return out;
}

interface Options {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  width: number;
  precision: number | undefined;
}

function formatOne(verb: string, arg: GoValue, o: Options): string {
  const bad = () => `%!${verb}(${arg === null ? '<nil>' : `${typeName(arg)}=${formatValue(arg)}`})`;
  if (verb === 'v' && !(arg instanceof GoInt) && typeof arg !== 'number') {
    return pad(formatValue(arg), o);
  }
  if (arg === null) return bad();
  if (typeof arg === 'string') {
    const text = o.precision === undefined ? arg : [...arg].slice(0, o.precision).join('');
    if (verb === 's') return pad(text, o);
    if (verb === 'q') return pad(goQuote(text), o);
    if (verb === 'x' || verb === 'X') return pad(hexBytes(text, verb === 'X'), o);
    return bad();
  }
  if (typeof arg === 'boolean') return verb === 't' ? pad(String(arg), o) : bad();
  if (arg instanceof GoInt) return formatInt(verb, arg.value, o) ?? bad();
  if (typeof arg === 'number') return formatFloatVerb(verb, arg, o) ?? bad();
  if (arg instanceof GoList || arg instanceof GoMap) return verb === 's' ? pad(formatValue(arg), o) : bad();
  return bad();
}

function formatInt(verb: string, value: bigint, o: Options): string | undefined {
  const radix: Record<string, number> = { d: 10, v: 10, b: 2, o: 8, x: 16, X: 16 };
  if (verb === 'c') return pad(rune(value), o);
  if (verb === 'U') return pad(`U+${value.toString(16).toUpperCase().padStart(4, '0')}`, o);
  if (verb === 'q') return pad(`'${rune(value)}'`, o);
  const base = radix[verb];
  if (base === undefined) return undefined;
  let digits = (value < 0n ? -value : value).toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  if (o.precision !== undefined) digits = digits.padStart(o.precision, '0');
  return signed(value < 0n, digits, o);
}

function formatFloatVerb(verb: string, f: number, o: Options): string | undefined {
  const negative = f < 0 || Object.is(f, -0);
  const abs = Math.abs(f);
  let body: string;
  if (!Number.isFinite(f)) body = Number.isNaN(f) ? 'NaN' : 'Inf';
  else if (verb === 'v' || ((verb === 'g' || verb === 'G') && o.precision === undefined))
    body = formatFloat(abs);
  else if (verb === 'f' || verb === 'F') body = abs.toFixed(o.precision ?? 6);
  else if (verb === 'e' || verb === 'E') body = exponent(abs.toExponential(o.precision ?? 6));
  else if (verb === 'g' || verb === 'G')
    body = formatFloat(Number(abs.toPrecision(Math.max(o.precision ?? 1, 1))));
  else return undefined;
  if (verb === 'E' || verb === 'G') body = body.toUpperCase();
  if (Number.isNaN(f)) return pad(body, { ...o, zero: false });
  return signed(negative && !Number.isNaN(f), body, o);
}

/** Go prints an invalid code point as U+FFFD. */
function rune(value: bigint): string {
  const valid = value >= 0n && value <= 0x10ffffn && !(value >= 0xd800n && value <= 0xdfffn);
  return valid ? String.fromCodePoint(Number(value)) : '\ufffd';
}

/** JavaScript writes `1.5e+0`; Go writes at least two exponent digits, `1.5e+00`. */
function exponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function signed(negative: boolean, digits: string, o: Options): string {
  const sign = negative ? '-' : o.plus ? '+' : o.space ? ' ' : '';
  if (o.zero && o.width > sign.length + digits.length) {
    return sign + digits.padStart(o.width - sign.length, '0');
  }
  return pad(sign + digits, o);
}

/** Width counts characters (runes), as Go does. */
function pad(text: string, o: Options): string {
  const missing = o.width - [...text].length;
  if (missing <= 0) return text;
  return o.minus ? text + ' '.repeat(missing) : ' '.repeat(missing) + text;
}

function hexBytes(s: string, upper: boolean): string {
  const hex = Buffer.from(utf8(s)).toString('hex');
  return upper ? hex.toUpperCase() : hex;
}
