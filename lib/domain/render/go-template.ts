import { TemplateProblem } from './errors.ts';
import { isTemplateFunction } from './functions.ts';

/**
 * A parser for the slice of Go's text/template that Gimlet manifests use: `{{ .VAR }}`, function calls,
 * pipes, parentheses, string and integer literals, comments and `{{-`/`-}}` trim markers. Control
 * structures (`if`, `range`, `$x := …`) are refused with a message rather than half-supported.
 */
export type Expr =
  | { kind: 'var'; name: string }
  | { kind: 'literal'; value: string | number }
  | { kind: 'call'; fn: string; args: Expr[] };

/** Literal text between actions, or the expression of one action. */
export type Part = string | Expr;

type Token =
  | { type: 'field'; name: string }
  | { type: 'ident'; name: string }
  | { type: 'literal'; value: string | number }
  | { type: '|' | '(' | ')' };

const KEYWORDS = new Set([
  'if',
  'else',
  'end',
  'range',
  'with',
  'define',
  'template',
  'block',
  'break',
  'continue',
  'nil',
  'true',
  'false',
]);
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const INTEGER = /-?[0-9]+/y;
// Go trims only ASCII white space around `{{- ` and ` -}}`.
const SPACE = /[ \t\r\n]/;

export function parseTemplate(text: string): Part[] {
  const parts: Part[] = [];
  let pos = 0;
  let trimNext = false;
  while (pos < text.length) {
    const open = text.indexOf('{{', pos);
    let literal = text.slice(pos, open === -1 ? text.length : open);
    if (trimNext) literal = literal.replace(/^[ \t\r\n]+/, '');
    if (open === -1) {
      if (literal) parts.push(literal);
      break;
    }
    let start = open + 2;
    if (text[start] === '-' && SPACE.test(text[start + 1] ?? '')) {
      literal = literal.replace(/[ \t\r\n]+$/, '');
      start += 1;
    }
    if (literal) parts.push(literal);
    const action = lexAction(text, start);
    if (action.tokens.length > 0) parts.push(parseAction(action.tokens));
    pos = action.end;
    trimNext = action.trimRight;
  }
  return parts;
}

interface Action {
  tokens: Token[];
  end: number;
  trimRight: boolean;
}

function lexAction(text: string, start: number): Action {
  const tokens: Token[] = [];
  let i = start;
  while (SPACE.test(text[i] ?? '')) i++;
  if (text.startsWith('/*', i)) return lexComment(text, i);
  for (;;) {
    const c = text[i];
    if (c === undefined) throw new TemplateProblem('unclosed action: missing "}}"');
    if (SPACE.test(c)) {
      i++;
    } else if (text.startsWith('}}', i)) {
      return { tokens, end: i + 2, trimRight: false };
    } else if (text.startsWith('-}}', i) && SPACE.test(text[i - 1] ?? '')) {
      return { tokens, end: i + 3, trimRight: true };
    } else if (c === '|' || c === '(' || c === ')') {
      tokens.push({ type: c });
      i++;
    } else if (c === '"' || c === '`') {
      const end = c === '"' ? closingQuote(text, i) : text.indexOf('`', i + 1);
      if (end === -1) throw new TemplateProblem('unterminated string literal');
      tokens.push({
        type: 'literal',
        value: c === '"' ? goString(text.slice(i, end + 1)) : text.slice(i + 1, end),
      });
      i = end + 1;
    } else if (c === '.') {
      const name = match(IDENT, text, i + 1);
      if (!name) throw new TemplateProblem('"." alone is not supported; name a variable such as .SHA');
      i += 1 + name.length;
      if (text[i] === '.') throw new TemplateProblem(`.${name} is a string; it has no fields`);
      tokens.push({ type: 'field', name });
    } else if (/[-0-9]/.test(c)) {
      const digits = match(INTEGER, text, i);
      if (!digits || /[.A-Za-z_]/.test(text[i + digits.length] ?? '')) {
        throw new TemplateProblem(`unsupported number near "${text.slice(i, i + 10)}"; use integers`);
      }
      tokens.push({ type: 'literal', value: Number(digits) });
      i += digits.length;
    } else if (c === '$') {
      throw new TemplateProblem('template variables ($x) are not supported');
    } else {
      const name = match(IDENT, text, i);
      if (!name) throw new TemplateProblem(`unexpected "${c}" in action`);
      tokens.push({ type: 'ident', name });
      i += name.length;
    }
  }
}

function lexComment(text: string, start: number): Action {
  const close = text.indexOf('*/', start + 2);
  if (close === -1) throw new TemplateProblem('unclosed comment');
  const rest = /^([ \t\r\n]+-)?}}/.exec(text.slice(close + 2));
  if (!rest) throw new TemplateProblem('a comment must end its action: "*/}}"');
  return { tokens: [], end: close + 2 + rest[0].length, trimRight: rest[1] !== undefined };
}

function match(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}

function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
    else if (text[i] === '\n') return -1;
  }
  return -1;
}

/** Go's interpreted string literals share JSON's common escapes; the rare rest (`\x41`) is refused. */
function goString(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw new TemplateProblem(`unsupported escape in string literal ${quoted}`);
  }
}

function parseAction(tokens: Token[]): Expr {
  const parser = { tokens, pos: 0 };
  const expr = parsePipeline(parser);
  const extra = tokens[parser.pos];
  if (extra) throw new TemplateProblem(`unexpected "${describe(extra)}" in action`);
  return expr;
}

interface Parser {
  tokens: Token[];
  pos: number;
}

/** `a | f x | g` is `g (f x a)`: each piped value becomes the last argument of the next call. */
function parsePipeline(p: Parser): Expr {
  let expr = parseCommand(p);
  while (p.tokens[p.pos]?.type === '|') {
    p.pos++;
    const next = parseCommand(p);
    if (next.kind !== 'call') throw new TemplateProblem('a pipe must lead into a function');
    expr = { ...next, args: [...next.args, expr] };
  }
  return expr;
}

function parseCommand(p: Parser): Expr {
  const first = p.tokens[p.pos];
  if (!first || first.type === '|' || first.type === ')')
    throw new TemplateProblem('missing value in action');
  if (first.type === 'ident') {
    p.pos++;
    const args: Expr[] = [];
    for (let t = p.tokens[p.pos]; t && t.type !== '|' && t.type !== ')'; t = p.tokens[p.pos]) {
      args.push(parseOperand(p));
    }
    return { kind: 'call', fn: functionName(first.name), args };
  }
  const operand = parseOperand(p);
  const after = p.tokens[p.pos];
  if (after && after.type !== '|' && after.type !== ')') {
    throw new TemplateProblem(`cannot give an argument to ${describe(first)}: it is not a function`);
  }
  return operand;
}

function parseOperand(p: Parser): Expr {
  const t = p.tokens[p.pos++];
  switch (t?.type) {
    case 'field':
      return { kind: 'var', name: t.name };
    case 'literal':
      return { kind: 'literal', value: t.value };
    case 'ident':
      // Go calls a function named as an argument with no arguments (`printf "%s" now`).
      return { kind: 'call', fn: functionName(t.name), args: [] };
    case '(': {
      const expr = parsePipeline(p);
      if (p.tokens[p.pos++]?.type !== ')') throw new TemplateProblem('unclosed "("');
      return expr;
    }
    default:
      throw new TemplateProblem(t ? `unexpected "${describe(t)}" in action` : 'missing value in action');
  }
}

function functionName(name: string): string {
  if (KEYWORDS.has(name)) throw new TemplateProblem(`"${name}" is not supported in Ferry templates`);
  if (!isTemplateFunction(name)) throw new TemplateProblem(`unknown template function "${name}"`);
  return name;
}

function describe(t: Token): string {
  if (t.type === 'field') return `.${t.name}`;
  if (t.type === 'ident') return t.name;
  if (t.type === 'literal') return JSON.stringify(t.value);
  return t.type;
}

/** Variables an expression reads, in reading order. */
export function variablesOf(expr: Expr): string[] {
  if (expr.kind === 'var') return [expr.name];
  if (expr.kind === 'call') return expr.args.flatMap(variablesOf);
  return [];
}
