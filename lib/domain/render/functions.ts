import { TemplateProblem } from './errors.ts';

/**
 * The Sprig functions Gimlet manifests use, with Sprig's argument order: in a pipeline the piped value
 * arrives last (`{{ .TAG | trimPrefix "v" }}` is `trimPrefix "v" .TAG`).
 */
export type TemplateValue = string | number;

interface TemplateFunction {
  min: number;
  max: number;
  call: (args: TemplateValue[]) => string;
}

const DNS_NAME_LIMIT = 53;

/**
 * Gimlet's sanitizeDNSName (53 characters, as in the Gimlet CLI, so `preview-` prefixes and Helm's
 * release name limit still fit): `feature/my-feature` → `feature-my-feature`.
 */
export function sanitizeDnsName(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^0-9a-z]+/g, '-')
    .slice(0, DNS_NAME_LIMIT)
    .replace(/^-|-$/g, '');
}

function text(fn: string, value: TemplateValue | undefined): string {
  if (typeof value !== 'string') throw new TemplateProblem(`${fn}: expected a string, got ${typeof value}`);
  return value;
}

function integer(fn: string, value: TemplateValue | undefined): number {
  if (typeof value !== 'number') throw new TemplateProblem(`${fn}: expected a number, got ${typeof value}`);
  return value;
}

/** Sprig's trunc: a negative length keeps the end of the string. */
function trunc(length: number, s: string): string {
  if (length < 0) return s.slice(Math.max(s.length + length, 0));
  return s.slice(0, length);
}

/** Go's fmt for the verbs templates use; anything else fails rather than printing Go's `%!x(…)` noise. */
function printf(format: string, args: TemplateValue[]): string {
  let next = 0;
  const out = format.replace(/%(.?)/g, (_, verb: string) => {
    if (verb === '%') return '%';
    if (!['s', 'v', 'd', 'q'].includes(verb))
      throw new TemplateProblem(`printf: unsupported verb "%${verb}"`);
    const arg = args[next++];
    if (arg === undefined) throw new TemplateProblem(`printf: missing argument for "%${verb}"`);
    if (verb === 'd') return String(integer('printf %d', arg));
    return verb === 'q' ? JSON.stringify(String(arg)) : String(arg);
  });
  if (next < args.length) throw new TemplateProblem(`printf: ${args.length - next} argument(s) left unused`);
  return out;
}

const unary = (fn: string, call: (s: string) => string): TemplateFunction => ({
  min: 1,
  max: 1,
  call: ([s]) => call(text(fn, s)),
});

export const FUNCTIONS: Readonly<Record<string, TemplateFunction>> = {
  sanitizeDNSName: unary('sanitizeDNSName', sanitizeDnsName),
  lower: unary('lower', (s) => s.toLowerCase()),
  upper: unary('upper', (s) => s.toUpperCase()),
  trim: unary('trim', (s) => s.trim()),
  trunc: { min: 2, max: 2, call: ([n, s]) => trunc(integer('trunc', n), text('trunc', s)) },
  trimPrefix: {
    min: 2,
    max: 2,
    call: ([p, s]) => {
      const [prefix, value] = [text('trimPrefix', p), text('trimPrefix', s)];
      return value.startsWith(prefix) ? value.slice(prefix.length) : value;
    },
  },
  trimSuffix: {
    min: 2,
    max: 2,
    call: ([x, s]) => {
      const [suffix, value] = [text('trimSuffix', x), text('trimSuffix', s)];
      return suffix && value.endsWith(suffix) ? value.slice(0, -suffix.length) : value;
    },
  },
  default: { min: 2, max: 2, call: ([fallback, v]) => String(v === '' ? fallback : v) },
  quote: { min: 1, max: Infinity, call: (args) => args.map((a) => JSON.stringify(String(a))).join(' ') },
  replace: {
    min: 3,
    max: 3,
    call: ([from, to, s]) => text('replace', s).replaceAll(text('replace', from), text('replace', to)),
  },
  printf: { min: 1, max: Infinity, call: ([format, ...args]) => printf(text('printf', format), args) },
};

export function isTemplateFunction(name: string): boolean {
  return Object.hasOwn(FUNCTIONS, name);
}

/** Calls a function by name, checking the argument count as Go's template engine does. */
export function callFunction(name: string, args: TemplateValue[]): string {
  const fn = FUNCTIONS[name];
  if (!fn || !Object.hasOwn(FUNCTIONS, name))
    throw new TemplateProblem(`unknown template function "${name}"`);
  if (args.length < fn.min || args.length > fn.max) {
    const want = fn.min === fn.max ? `${fn.min}` : `at least ${fn.min}`;
    throw new TemplateProblem(`${name}: wrong number of arguments: want ${want}, got ${args.length}`);
  }
  return fn.call(args);
}
