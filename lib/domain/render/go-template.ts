import { TemplateProblem } from './errors.ts';
import { checkFunctionName } from './functions.ts';
import { brief } from './go-values.ts';

/**
 * A parser for Go's text/template language as Gimlet runs it (gimlet-io/gimlet pkg/dx/manifest.go,
 * `template.New("").Option("missingkey=error").Funcs(sprig + sanitizeDNSName)`): text, actions with
 * pipelines, `if`/`else if`/`else`, `range` (with `$i, $v :=`, `break`, `continue`), `with`, variables
 * (`$x :=`, `$x =`), parentheses, comments and `{{-`/`-}}` trim markers. The grammar follows
 * golang/go src/text/template/parse (lex.go, parse.go). `define`, `template` and `block` are refused: a
 * manifest field is one template, never a set of them.
 *
 * Lexing is one pass over the text; parsing recurses only into control structures and parentheses,
 * which are limited to MAX_TEMPLATE_DEPTH so a crafted template can never overflow the stack.
 */
export const MAX_TEMPLATE_DEPTH = 50;

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | ControlNode
  | { kind: 'break' | 'continue' };

/** `if`, `with`, `range`: a pipeline, its body and the `else` body. */
export interface ControlNode {
  kind: 'if' | 'with' | 'range';
  pipe: Pipeline;
  list: Node[];
  elseList?: Node[];
}

/** `$x := a | b`: declared (or, with `assign`, assigned) variables and the commands. */
export interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Command[];
}

/** The words of one command: a function and its arguments, or a single value. */
export type Command = Operand[];

/** A number as Go's parse.NumberNode keeps it: the integer and float readings it allows. */
export interface NumberLiteral {
  kind: 'number';
  text: string;
  int?: bigint;
  float?: number;
  /** Go prints `1.0` as a float64 and `0x10`, `'a'` as ints (exec.go idealConstant). */
  isFloatText: boolean;
}

export type Operand =
  | { kind: 'dot'; fields: string[] }
  | { kind: 'variable'; name: string; fields: string[] }
  | { kind: 'function'; name: string }
  | { kind: 'string'; value: string }
  | NumberLiteral
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'pipe'; pipe: Pipeline; fields: string[] };

type Token =
  | { type: 'field'; fields: string[]; space: boolean }
  | { type: 'variable'; name: string; fields: string[] }
  | { type: 'ident'; name: string }
  | { type: 'string'; value: string }
  | { type: 'number'; literal: NumberLiteral }
  | { type: '|' | '(' | ')' | ':=' | '=' | ',' | '.' };

type Item = { type: 'text'; text: string } | { type: 'action'; tokens: Token[]; at: number };

// Go trims only these around `{{- ` and ` -}}` (lex.go isSpace).
const SPACE = /[ \t\r\n]/;
const IDENT = /[\p{L}_][\p{L}\p{Nd}_]*/uy;
const NUMBER =
  /[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?)/y;

export function parseTemplate(text: string): Node[] {
  return new Parser(lex(text)).parse();
}

/** Splits the text into literal text and the tokens of each action, honouring trim markers. */
function lex(text: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let trimNext = false;
  while (pos < text.length) {
    const open = text.indexOf('{{', pos);
    let literal = text.slice(pos, open === -1 ? text.length : open);
    if (trimNext) literal = literal.replace(/^[ \t\r\n]+/, '');
    if (open === -1) {
      if (literal) items.push({ type: 'text', text: literal });
      break;
    }
    let start = open + 2;
    if (text[start] === '-' && SPACE.test(text[start + 1] ?? '')) {
      literal = trimRightSpace(literal);
      start += 2;
    }
    if (literal) items.push({ type: 'text', text: literal });
    const action = lexAction(text, start);
    if (action.tokens) items.push({ type: 'action', tokens: action.tokens, at: open });
    pos = action.end;
    trimNext = action.trimRight;
  }
  return items;
}

/** A loop, not `/\s+$/`: that regex is quadratic on a long run of spaces followed by text. */
function trimRightSpace(text: string): string {
  let end = text.length;
  while (end > 0 && SPACE.test(text[end - 1] as string)) end--;
  return text.slice(0, end);
}

interface LexedAction {
  tokens?: Token[];
  end: number;
  trimRight: boolean;
}

function lexAction(text: string, start: number): LexedAction {
  const tokens: Token[] = [];
  let i = start;
  let space = true;
  // A comment starts right after the delimiter (and its trim marker): `{{/* … */}}`, `{{- /* … */ -}}`.
  if (text.startsWith('/*', start)) return lexComment(text, start + 2);
  for (;;) {
    const c = text[i];
    if (c === undefined) throw new TemplateProblem('unclosed action: missing "}}"');
    if (SPACE.test(c)) {
      i++;
      space = true;
      continue;
    }
    if (text.startsWith('}}', i)) return { tokens, end: i + 2, trimRight: false };
    if (space && text.startsWith('-}}', i)) return { tokens, end: i + 3, trimRight: true };
    const before = space;
    space = false;
    if (c === '|' || c === '(' || c === ')' || c === ',' || c === '=') {
      tokens.push({ type: c });
      i++;
    } else if (c === ':') {
      if (text[i + 1] !== '=') throw new TemplateProblem('expected :=');
      tokens.push({ type: ':=' });
      i += 2;
    } else if (c === '"' || c === '`') {
      const end = c === '"' ? closingQuote(text, i) : text.indexOf('`', i + 1);
      if (end === -1) throw new TemplateProblem('unterminated quoted string');
      const raw = text.slice(i, end + 1);
      tokens.push({ type: 'string', value: c === '"' ? unquote(raw) : raw.slice(1, -1) });
      i = end + 1;
    } else if (c === "'") {
      const m = /'(\\.|[^\\'\n]+)'/uy;
      m.lastIndex = i;
      const found = m.exec(text);
      const rune = found && (found[1] === "\\'" ? "'" : unquote(`"${found[1]}"`));
      if (!found || !rune || [...rune].length !== 1)
        throw new TemplateProblem('malformed character constant');
      const code = BigInt(rune.codePointAt(0) ?? 0);
      tokens.push({
        type: 'number',
        literal: { kind: 'number', text: found[0], int: code, float: Number(code), isFloatText: false },
      });
      i += found[0].length;
    } else if (c === '.' && !/[0-9]/.test(text[i + 1] ?? '')) {
      const { fields, end } = fieldChain(text, i);
      tokens.push(fields.length === 0 ? { type: '.' } : { type: 'field', fields, space: before });
      i = end;
    } else if (c === '$') {
      const name = match(IDENT, text, i + 1) ?? '';
      const { fields, end } = fieldChain(text, i + 1 + name.length);
      tokens.push({ type: 'variable', name: `$${name}`, fields });
      i = end;
    } else if (/[-+.0-9]/.test(c)) {
      const number = match(NUMBER, text, i) ?? '';
      if (!/[0-9]/.test(number) || /[\p{L}\p{Nd}_.]/u.test(text[i + number.length] ?? '')) {
        throw new TemplateProblem(`bad number syntax: "${text.slice(i, i + 12)}"`);
      }
      tokens.push({ type: 'number', literal: numberLiteral(number) });
      i += number.length;
    } else {
      const name = match(IDENT, text, i);
      if (!name) throw new TemplateProblem(`unexpected "${c}" in command`);
      tokens.push({ type: 'ident', name });
      i += name.length;
    }
  }
}

function lexComment(text: string, start: number): LexedAction {
  const close = text.indexOf('*/', start);
  if (close === -1) throw new TemplateProblem('unclosed comment');
  const rest = /^([ \t\r\n]-)?}}/.exec(text.slice(close + 2, close + 6));
  if (!rest) throw new TemplateProblem('comment ends before closing delimiter');
  return { end: close + 2 + rest[0].length, trimRight: rest[1] !== undefined };
}

/** `.A.B` right after a term: the field names, and where the chain ends. */
function fieldChain(text: string, at: number): { fields: string[]; end: number } {
  const fields: string[] = [];
  let i = at;
  while (text[i] === '.') {
    const name = match(IDENT, text, i + 1);
    if (!name) break;
    fields.push(name);
    i += 1 + name.length;
  }
  return { fields, end: i === at && text[i] === '.' ? i + 1 : i };
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

const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

/** Go's strconv.Unquote for interpreted literals: `\n`, `\x41`, `\u00e9`, `\U0001F600`, octal `\101`. */
function unquote(quoted: string): string {
  return quoted
    .slice(1, -1)
    .replace(
      /\\(?:([abfnrtv\\"'])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{3})|(.?))/g,
      (_, simple, x, u, bigU, octal, bad) => {
        if (simple) return ESCAPES[simple] as string;
        // `\x` and octal escapes are bytes in Go; only ASCII ones are one character here.
        const byte = x ? Number.parseInt(x, 16) : octal ? Number.parseInt(octal, 8) : undefined;
        if (byte !== undefined) {
          if (byte > 0x7f)
            throw new TemplateProblem(
              `unsupported byte escape in ${brief(quoted)}: Ferry templates are UTF-8 text`,
            );
          return String.fromCharCode(byte);
        }
        const code = Number.parseInt(u ?? bigU ?? '', 16);
        if (bad !== undefined || !(code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) {
          throw new TemplateProblem(`invalid syntax in string ${brief(quoted)}`);
        }
        return String.fromCodePoint(code);
      },
    );
}

/** Go's parse.newNumber: base prefixes, `0` octal, `_` separators, and an integer reading of `2.0`. */
function numberLiteral(text: string): NumberLiteral {
  const clean = text.replaceAll('_', '');
  const negative = clean.startsWith('-');
  const body = clean.replace(/^[+-]/, '');
  const isFloatText = !/^0[xX]/.test(body) && /[.eE]/.test(body);
  let int: bigint | undefined;
  let float: number | undefined;
  if (!isFloatText) {
    const prefixed = /^0[0-7]+$/.test(body) ? `0o${body.slice(1)}` : body;
    let value: bigint;
    try {
      value = BigInt(prefixed);
    } catch {
      throw new TemplateProblem(`bad number syntax: "${text}"`);
    }
    value = negative ? -value : value;
    if (value !== BigInt.asIntN(64, value)) throw new TemplateProblem(`integer overflow: "${text}"`);
    int = value;
    float = Number(value);
  } else {
    float = Number(clean);
    if (!Number.isFinite(float)) throw new TemplateProblem(`bad number syntax: "${text}"`);
    if (Number.isInteger(float) && Math.abs(float) < 2 ** 63) int = BigInt(float);
  }
  return { kind: 'number', text, int, float, isFloatText };
}

const KEYWORDS = new Set([
  'if',
  'else',
  'end',
  'range',
  'with',
  'break',
  'continue',
  'define',
  'template',
  'block',
]);

type Stop = 'end' | 'else' | 'eof';

/** Recursive descent over the lexed items; variables are checked at parse time, as Go's parser does. */
class Parser {
  private index = 0;
  private depth = 0;
  private rangeDepth = 0;
  // Declared variables in scope; `$` is the data.
  private vars: string[] = ['$'];

  constructor(private readonly items: Item[]) {}

  parse(): Node[] {
    const { list, stop } = this.list();
    if (stop.kind !== 'eof') throw new TemplateProblem(`unexpected {{${stop.kind}}}`);
    return list;
  }

  /** Nodes up to `{{end}}`, `{{else …}}` or the end of the text. */
  private list(): { list: Node[]; stop: { kind: Stop; tokens: Token[] } } {
    const list: Node[] = [];
    for (let item = this.items[this.index++]; item; item = this.items[this.index++]) {
      if (item.type === 'text') {
        list.push({ kind: 'text', text: item.text });
        continue;
      }
      const [first, ...rest] = item.tokens;
      if (first?.type === 'ident' && KEYWORDS.has(first.name)) {
        const keyword = first.name;
        if (keyword === 'end' || keyword === 'else') {
          if (keyword === 'end' && rest.length > 0) throw new TemplateProblem('unexpected tokens in end');
          return { list, stop: { kind: keyword, tokens: rest } };
        }
        list.push(this.keyword(keyword, rest));
        continue;
      }
      if (item.tokens.length === 0) throw new TemplateProblem('missing value for command');
      list.push({ kind: 'action', pipe: this.pipeline(item.tokens, 'command') });
    }
    return { list, stop: { kind: 'eof', tokens: [] } };
  }

  private keyword(keyword: string, tokens: Token[]): Node {
    if (keyword === 'break' || keyword === 'continue') {
      if (this.rangeDepth === 0) throw new TemplateProblem(`{{${keyword}}} outside {{range}}`);
      if (tokens.length > 0) throw new TemplateProblem(`unexpected tokens in {{${keyword}}}`);
      return { kind: keyword };
    }
    if (keyword === 'define' || keyword === 'template' || keyword === 'block') {
      throw new TemplateProblem(`"${keyword}" is not supported: a manifest field is a single template`);
    }
    return this.control(keyword as 'if' | 'with' | 'range', tokens);
  }

  /** `if`, `with`, `range`: the pipeline's variables live until the matching `{{end}}`. */
  private control(kind: 'if' | 'with' | 'range', tokens: Token[]): Node {
    this.enter();
    const scope = this.vars.length;
    const pipe = this.pipeline(tokens, kind);
    if (kind === 'range') this.rangeDepth++;
    const { list, stop } = this.list();
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (stop.kind === 'else') {
      const [next, ...rest] = stop.tokens;
      // `{{else if …}}` and `{{else with …}}` nest a control that shares this one's {{end}}.
      if (next?.type === 'ident' && next.name === kind && kind !== 'range') {
        elseList = [this.control(kind, rest)];
      } else {
        if (stop.tokens.length > 0) throw new TemplateProblem('unexpected tokens in {{else}}');
        const tail = this.list();
        if (tail.stop.kind !== 'end') throw new TemplateProblem(`unexpected EOF: {{${kind}}} has no {{end}}`);
        elseList = tail.list;
      }
    } else if (stop.kind !== 'end') {
      throw new TemplateProblem(`unexpected EOF: {{${kind}}} has no {{end}}`);
    }
    this.vars.length = scope;
    this.depth--;
    return { kind, pipe, list, elseList };
  }

  private enter(): void {
    if (++this.depth > MAX_TEMPLATE_DEPTH) {
      throw new TemplateProblem(`template nests deeper than ${MAX_TEMPLATE_DEPTH} levels`);
    }
  }

  private pipeline(tokens: Token[], context: 'command' | 'if' | 'with' | 'range'): Pipeline {
    const stream = { tokens, pos: 0 };
    const pipe = this.pipe(stream, context);
    if (stream.pos < tokens.length)
      throw new TemplateProblem(`unexpected ${describe(tokens[stream.pos])} in ${context}`);
    return pipe;
  }

  private pipe(s: Stream, context: string): Pipeline {
    const decl: string[] = [];
    let assign = false;
    const [a, b, c, d] = s.tokens.slice(s.pos, s.pos + 4);
    if (a?.type === 'variable' && a.fields.length === 0) {
      if (b?.type === ':=' || b?.type === '=') {
        decl.push(a.name);
        assign = b.type === '=';
        s.pos += 2;
      } else if (context === 'range' && b?.type === ',' && c?.type === 'variable' && d?.type === ':=') {
        decl.push(a.name, c.name);
        s.pos += 4;
      } else if (b?.type === ',') {
        throw new TemplateProblem(`too many declarations in ${context}`);
      }
    }
    const cmds: Command[] = [];
    for (;;) {
      cmds.push(this.command(s));
      if (s.tokens[s.pos]?.type !== '|') break;
      s.pos++;
    }
    // Only the first command of a pipeline may start with a constant (parse.go checkPipeline).
    const stage = cmds.findIndex((cmd, i) => i > 0 && isConstant(cmd[0]));
    if (stage > 0) throw new TemplateProblem(`non executable command in pipeline stage ${stage + 1}`);
    if (assign) {
      if (!this.vars.includes(decl[0] as string))
        throw new TemplateProblem(`undefined variable "${decl[0]}"`);
    } else {
      this.vars.push(...decl);
    }
    return { decl, assign, cmds };
  }

  private command(s: Stream): Command {
    const operands: Operand[] = [];
    for (let t = s.tokens[s.pos]; t && t.type !== '|' && t.type !== ')'; t = s.tokens[s.pos]) {
      operands.push(this.operand(s));
    }
    if (operands.length === 0) throw new TemplateProblem('missing value for command');
    const [first] = operands;

    if (
      operands.length > 1 &&
      first?.kind !== 'function' &&
      first?.kind !== 'pipe' &&
      first?.kind !== 'dot' &&
      first?.kind !== 'variable'
    ) {
      throw new TemplateProblem(`can't give argument to non-function ${operandText(first)}`);
    }
    if (operands.length === 1 && first?.kind === 'nil') throw new TemplateProblem('nil is not a command');
    return operands;
  }

  private operand(s: Stream): Operand {
    const t = s.tokens[s.pos++];
    switch (t?.type) {
      case '.':
        return { kind: 'dot', fields: [] };
      case 'field':
        return { kind: 'dot', fields: t.fields };
      case 'variable':
        if (!this.vars.includes(t.name)) throw new TemplateProblem(`undefined variable "${t.name}"`);
        return { kind: 'variable', name: t.name, fields: t.fields };
      case 'string':
        return { kind: 'string', value: t.value };
      case 'number':
        return t.literal;
      case 'ident':
        if (t.name === 'true' || t.name === 'false') return { kind: 'bool', value: t.name === 'true' };
        if (t.name === 'nil') return { kind: 'nil' };
        if (KEYWORDS.has(t.name)) throw new TemplateProblem(`unexpected <${t.name}> in command`);
        checkFunctionName(t.name);
        return { kind: 'function', name: t.name };
      case '(': {
        this.enter();
        const pipe = this.pipe(s, 'parenthesized pipeline');
        if (s.tokens[s.pos++]?.type !== ')') throw new TemplateProblem('unclosed left paren');
        this.depth--;
        const next = s.tokens[s.pos];
        // `(pipeline).Field`: a field chain written right after the parenthesis.
        if (next?.type === 'field' && !next.space) {
          s.pos++;
          return { kind: 'pipe', pipe, fields: next.fields };
        }
        return { kind: 'pipe', pipe, fields: [] };
      }
      default:
        throw new TemplateProblem(t ? `unexpected ${describe(t)} in operand` : 'missing value for command');
    }
  }
}

interface Stream {
  tokens: Token[];
  pos: number;
}

function describe(t: Token | undefined): string {
  if (!t) return 'end';
  switch (t.type) {
    case 'field':
      return `"${t.fields.map((f) => `.${f}`).join('')}"`;
    case 'variable':
      return `"${t.name}"`;
    case 'ident':
      return `"${t.name}"`;
    case 'string':
      return JSON.stringify(t.value);
    case 'number':
      return `"${t.literal.text}"`;
    default:
      return `"${t.type}"`;
  }
}

function isConstant(o: Operand | undefined): boolean {
  return (
    o?.kind === 'string' ||
    o?.kind === 'number' ||
    o?.kind === 'bool' ||
    o?.kind === 'nil' ||
    (o?.kind === 'dot' && o.fields.length === 0)
  );
}

function operandText(o: Operand | undefined): string {
  switch (o?.kind) {
    case 'string':
      return JSON.stringify(o.value);
    case 'number':
      return o.text;
    case 'bool':
      return String(o.value);
    default:
      return o?.kind ?? '';
  }
}
