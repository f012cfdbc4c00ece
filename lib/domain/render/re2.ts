import { TemplateProblem } from './errors.ts';
import { goLower, goUpper } from './go-values.ts';

/**
 * A small RE2-syntax matcher for Sprig's regex functions. Go's regexp guarantees time linear in the input;
 * JavaScript's RegExp backtracks, so `(a+)+$` on a long string would hang a worker. This compiles the
 * pattern to a program and runs it as a Pike VM (all threads in step, leftmost-first priority, as Go's
 * regexp does for non-POSIX expressions), over code points as Go runs over runes.
 *
 * Syntax (golang/go src/regexp/syntax/doc.go): literals and escapes, `.`, classes `[a-z]` `[^…]` with
 * `\d \w \s` and `[[:alpha:]]`-style names, `\d \D \w \W \s \S \b \B \A \z`, `^ $`, groups `(…)`,
 * `(?:…)`, `(?P<name>…)`, `(?<name>…)`, flags `(?i)`, `(?s)`, `(?m)` (alone or as `(?i:…)`), `|`, and
 * `* + ? {n} {n,} {n,m}` with their lazy `?` forms. Anything else (`\pL`, `(?U)`) is refused with a message.
 */

type Pred = (c: number) => boolean;

/** Syntax Go accepts that this matcher does not implement; regexMatch must not read it as "no match". */
export class RegexUnsupported extends TemplateProblem {}

type Inst =
  | { op: 'char'; pred: Pred }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; to: number }
  | { op: 'save'; slot: number }
  | { op: 'assert'; kind: '^' | '$' | 'A' | 'z' | 'b' | 'B' | 'm^' | 'm$' }
  | { op: 'match' };

export interface Regex {
  prog: Inst[];
  groups: number;
  names: Map<string, number>;
}

// Go limits repetition counts to 1000; the program size limit keeps compile and match bounded.
const MAX_REPEAT = 1000;
const MAX_PROGRAM = 10_000;
// Threads stepped, summed over a whole search (FindAll/ReplaceAll included): Go's regexp is linear per
// match, but a search that restarts after each match can be quadratic, so the total is bounded.
export const MAX_REGEX_WORK = 2_000_000;

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
}

type Ast =
  | { t: 'pred'; pred: Pred }
  | { t: 'assert'; kind: Extract<Inst, { op: 'assert' }>['kind'] }
  | { t: 'cat'; items: Ast[] }
  | { t: 'alt'; items: Ast[] }
  | { t: 'group'; index: number; body: Ast }
  | { t: 'repeat'; body: Ast; min: number; max: number; greedy: boolean };

const isWord = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 10) || c === 12 || c === 13;
const POSIX: Record<string, Pred> = {
  alnum: (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  ascii: (c) => c <= 0x7f,
  blank: (c) => c === 32 || c === 9,
  cntrl: (c) => c < 32 || c === 0x7f,
  digit: isDigit,
  graph: (c) => c > 32 && c < 0x7f,
  lower: (c) => c >= 97 && c <= 122,
  print: (c) => c >= 32 && c < 0x7f,
  punct: (c) => (c > 32 && c < 0x7f && !isWord(c)) || c === 95,
  space: (c) => isSpace(c) || c === 11,
  upper: (c) => c >= 65 && c <= 90,
  word: isWord,
  xdigit: (c) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
};
const PERL: Record<string, Pred> = { d: isDigit, w: isWord, s: isSpace };
const ESCAPES: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, v: 11, a: 7 };

/** Compiles an RE2 pattern; a syntax error is Go's `error parsing regexp: …` (a TemplateProblem). */
export function compileRegex(pattern: string): Regex {
  const parser = new RegexParser(
    [...pattern].map((ch) => ch.codePointAt(0) ?? 0),
    pattern,
  );
  const ast = parser.parse();
  const prog: Inst[] = [{ op: 'save', slot: 0 }];
  emit(ast, prog);
  prog.push({ op: 'save', slot: 1 }, { op: 'match' });
  return { prog, groups: parser.groups, names: parser.names };
}

class RegexParser {
  private pos = 0;
  groups = 1;
  names = new Map<string, number>();

  constructor(
    private readonly cps: number[],
    private readonly pattern: string,
  ) {}

  /** Valid in Go's syntax but not implemented here: always an error, never a silent "no match". */
  private unsupported(what: string): never {
    throw new RegexUnsupported(
      `regular expression \`${this.pattern}\` uses ${what}, which Ferry does not support`,
    );
  }

  private fail(what: string): never {
    throw new TemplateProblem(`error parsing regexp: ${what}: \`${this.pattern}\``);
  }

  parse(): Ast {
    const flags = { i: false, s: false, m: false };
    // `(?i)` and friends at the very start set the flags for the whole expression.
    const leading = /^\(\?([ism]+)\)/.exec(this.pattern);
    if (leading) {
      for (const f of leading[1] as string) flags[f as keyof Flags] = true;
      this.pos = leading[0].length;
    }
    const ast = this.alternation(flags);
    if (this.pos < this.cps.length) this.fail('unexpected )');
    return ast;
  }

  private alternation(flags: Flags): Ast {
    const items = [this.concat(flags)];
    while (this.cps[this.pos] === 124 /* | */) {
      this.pos++;
      items.push(this.concat(flags));
    }
    return items.length === 1 ? (items[0] as Ast) : { t: 'alt', items };
  }

  private concat(flags: Flags): Ast {
    const items: Ast[] = [];
    for (;;) {
      const c = this.cps[this.pos];
      if (c === undefined || c === 124 || c === 41 /* ) */) break;
      const atom = this.atom(flags);
      if (atom) items.push(this.quantified(atom));
    }
    return { t: 'cat', items };
  }

  private quantified(atom: Ast): Ast {
    let result = atom;
    for (;;) {
      const c = String.fromCodePoint(this.cps[this.pos] ?? 0);
      let min: number;
      let max: number;
      if (c === '*' || c === '+' || c === '?') {
        this.pos++;
        [min, max] = c === '*' ? [0, -1] : c === '+' ? [1, -1] : [0, 1];
      } else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(
          String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 16)),
        );
        if (!m) return result;
        this.pos += m[0].length;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
        if (min > MAX_REPEAT || max > MAX_REPEAT || (max !== -1 && max < min))
          this.fail(`invalid repeat count ${m[0]}`);
      } else {
        return result;
      }
      if (result.t === 'repeat' || (result.t === 'cat' && result.items.length === 0))
        this.fail(`invalid nested repetition operator`);
      const greedy = this.cps[this.pos] !== 63; /* ? */
      if (!greedy) this.pos++;
      result = { t: 'repeat', body: result, min, max, greedy };
    }
  }

  private atom(flags: Flags): Ast | undefined {
    const c = this.cps[this.pos++] as number;
    const ch = String.fromCodePoint(c);
    if (ch === '(') return this.group(flags);
    if (ch === '[') return this.literal(this.charClass(), flags);
    if (ch === '.') return { t: 'pred', pred: flags.s ? () => true : (x) => x !== 10 };
    if (ch === '^') return { t: 'assert', kind: flags.m ? 'm^' : '^' };
    if (ch === '$') return { t: 'assert', kind: flags.m ? 'm$' : '$' };
    if (ch === '*' || ch === '+' || ch === '?' || ch === '{') {
      if (ch === '{' && !/^\{\d/.test(String.fromCodePoint(...this.cps.slice(this.pos - 1, this.pos + 1)))) {
        return this.literal((x) => x === c, flags);
      }
      this.fail(`missing argument to repetition operator: \`${ch}\``);
    }
    if (ch === '\\') {
      const e = String.fromCodePoint(
        this.cps[this.pos++] ?? this.fail('trailing backslash at end of expression'),
      );
      if (e === 'A' || e === 'z' || e === 'b' || e === 'B') return { t: 'assert', kind: e };
      const perl = this.perlClass(e);
      if (perl) return { t: 'pred', pred: perl };
      return this.literal(this.escapeCode(e), flags);
    }
    return this.literal((x) => x === c, flags);
  }

  private literal(pred: Pred | number, flags: Flags): Ast {
    const base: Pred = typeof pred === 'number' ? (x) => x === pred : pred;
    if (!flags.i) return { t: 'pred', pred: base };
    // (?i): Go folds case rune by rune; comparing both simple case mappings covers the common cases.
    const fold = (x: number, f: (s: string) => string) => f(String.fromCodePoint(x)).codePointAt(0) ?? x;
    return { t: 'pred', pred: (x) => base(x) || base(fold(x, goLower)) || base(fold(x, goUpper)) };
  }

  private perlClass(e: string): Pred | undefined {
    const pred = PERL[e.toLowerCase()];
    if (!pred) return undefined;
    return e === e.toLowerCase() ? pred : (x) => !pred(x);
  }

  private escapeCode(e: string): number {
    const known = ESCAPES[e];
    if (known !== undefined) return known;
    if (e === 'x') {
      const m = /^(\{[0-9a-fA-F]+\}|[0-9a-fA-F]{2})/.exec(
        String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 10)),
      );
      if (!m) this.fail('invalid escape sequence: `\\x`');
      this.pos += m[0].length;
      return Number.parseInt(m[0].replace(/[{}]/g, ''), 16);
    }
    // Go takes any escaped ASCII character that is not a letter or digit as itself.
    const code = e.codePointAt(0) ?? 0;
    if (code < 0x80 && !/[0-9A-Za-z]/.test(e)) return code;
    if (/^[pPQEC0-7]$/.test(e)) this.unsupported(`\\${e}`);
    return this.fail(`invalid escape sequence: \`\\${e}\``);
  }

  private group(flags: Flags): Ast {
    if (this.cps[this.pos] === 63 /* ? */) {
      const rest = String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 64));
      const named = /^\?P?<([A-Za-z0-9_]+)>/.exec(rest);
      if (named) {
        this.pos += named[0].length;
        const index = this.groups++;
        this.names.set(named[1] as string, index);
        return this.closeGroup({ t: 'group', index, body: this.alternation(flags) });
      }
      const flagged = /^\?([ism-]*)(:|\))/.exec(rest);
      if (!flagged) {
        if (/^\?[imsU-]*U/.test(rest)) this.unsupported('the U flag');
        this.fail('invalid or unsupported Perl syntax');
      }
      this.pos += flagged[0].length;
      const next = { ...flags };
      let on = true;
      for (const f of flagged[1] as string) {
        if (f === '-') on = false;
        else next[f as keyof Flags] = on;
      }
      if (flagged[2] === ')') this.unsupported('flags after the start (write them first, or as (?i:…))');
      return this.closeGroup(this.alternation(next));
    }
    const index = this.groups++;
    return this.closeGroup({ t: 'group', index, body: this.alternation(flags) });
  }

  private closeGroup(ast: Ast): Ast {
    if (this.cps[this.pos++] !== 41) this.fail('missing closing )');
    return ast;
  }

  private charClass(): Pred {
    const negate = this.cps[this.pos] === 94; /* ^ */
    if (negate) this.pos++;
    const preds: Pred[] = [];
    let first = true;
    for (;;) {
      const c = this.cps[this.pos];
      if (c === undefined) this.fail('missing closing ]');
      if (c === 93 /* ] */ && !first) {
        this.pos++;
        break;
      }
      first = false;
      const rest = String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 12));
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(rest);
      if (posix) {
        const pred = POSIX[posix[2] as string] ?? this.fail(`invalid character class range: \`${posix[0]}\``);
        preds.push(posix[1] ? (x) => !pred(x) : pred);
        this.pos += posix[0].length;
        continue;
      }
      const lo = this.classChar(preds);
      if (lo === undefined) continue;
      if (
        this.cps[this.pos] === 45 /* - */ &&
        this.cps[this.pos + 1] !== 93 &&
        this.cps[this.pos + 1] !== undefined
      ) {
        this.pos++;
        const hi = this.classChar(preds);
        if (hi === undefined || hi < lo) this.fail('invalid character class range');
        preds.push((x) => x >= lo && x <= hi);
      } else {
        preds.push((x) => x === lo);
      }
    }
    const any: Pred = (x) => preds.some((p) => p(x));
    return negate ? (x) => !any(x) : any;
  }

  /** One character of a class, or undefined when it was a `\d`-style class (pushed to `preds`). */
  private classChar(preds: Pred[]): number | undefined {
    const c = this.cps[this.pos++] as number;
    if (c !== 92 /* \ */) return c;
    const e = String.fromCodePoint(this.cps[this.pos++] ?? this.fail('missing closing ]'));
    const perl = this.perlClass(e);
    if (perl) {
      preds.push(perl);
      return undefined;
    }
    return this.escapeCode(e);
  }
}

function emit(ast: Ast, prog: Inst[]): void {
  if (prog.length > MAX_PROGRAM) throw new TemplateProblem('error parsing regexp: expression too large');
  switch (ast.t) {
    case 'pred':
      prog.push({ op: 'char', pred: ast.pred });
      return;
    case 'assert':
      prog.push({ op: 'assert', kind: ast.kind });
      return;
    case 'cat':
      for (const item of ast.items) emit(item, prog);
      return;
    case 'group':
      prog.push({ op: 'save', slot: ast.index * 2 });
      emit(ast.body, prog);
      prog.push({ op: 'save', slot: ast.index * 2 + 1 });
      return;
    case 'alt': {
      const jumps: { op: 'jmp'; to: number }[] = [];
      ast.items.forEach((item, i) => {
        if (i < ast.items.length - 1) {
          const split = { op: 'split' as const, x: prog.length + 1, y: 0 };
          prog.push(split);
          emit(item, prog);
          const jmp = { op: 'jmp' as const, to: 0 };
          jumps.push(jmp);
          prog.push(jmp);
          split.y = prog.length;
        } else {
          emit(item, prog);
        }
      });
      for (const jmp of jumps) jmp.to = prog.length;
      return;
    }
    case 'repeat': {
      for (let i = 0; i < ast.min; i++) emit(ast.body, prog);
      if (ast.max === -1) {
        const split = { op: 'split' as const, x: 0, y: 0 };
        const start = prog.length;
        prog.push(split);
        emit(ast.body, prog);
        prog.push({ op: 'jmp', to: start });
        const [body, out] = [start + 1, prog.length];
        [split.x, split.y] = ast.greedy ? [body, out] : [out, body];
        return;
      }
      const splits: { op: 'split'; x: number; y: number }[] = [];
      for (let i = ast.min; i < ast.max; i++) {
        const split = { op: 'split' as const, x: 0, y: 0 };
        splits.push(split);
        prog.push(split);
        split.x = prog.length;
        emit(ast.body, prog);
      }
      for (const split of splits) {
        if (ast.greedy) split.y = prog.length;
        else [split.x, split.y] = [prog.length, split.x];
      }
      return;
    }
  }
}

/**
 * The leftmost-first match at or after code point `from`: capture positions (code point indexes, -1
 * when a group did not take part), or undefined.
 */
export function execRegex(
  re: Regex,
  input: number[],
  from: number,
  budget = { work: MAX_REGEX_WORK },
): number[] | undefined {
  const slots = re.groups * 2;
  let clist: { pc: number; caps: number[] }[] = [];
  let matched: number[] | undefined;
  for (let at = from; at <= input.length; at++) {
    // A new thread starts at each position until a match is found (unanchored search).
    if (!matched) add(re, clist, new Set(), 0, Array(slots).fill(-1), input, at);
    budget.work -= clist.length + 1;
    if (budget.work < 0) {
      throw new TemplateProblem(`regular expression too costly for a ${input.length}-character input`);
    }
    const nlist: typeof clist = [];
    const seen = new Set<number>();
    for (const thread of clist) {
      const inst = re.prog[thread.pc] as Inst;
      if (inst.op === 'match') {
        matched = thread.caps;
        break; // lower-priority threads lose to this one
      }
      if (inst.op === 'char' && at < input.length && inst.pred(input[at] as number)) {
        add(re, nlist, seen, thread.pc + 1, thread.caps, input, at + 1);
      }
    }
    clist = nlist;
    if (clist.length === 0 && matched) break;
  }
  return matched;
}

/** Follows jumps, splits, saves and assertions from `pc` (iteratively), in priority order. */
function add(
  re: Regex,
  list: { pc: number; caps: number[] }[],
  seen: Set<number>,
  pc: number,
  caps: number[],
  input: number[],
  at: number,
): void {
  const stack: { pc: number; caps: number[] }[] = [{ pc, caps }];
  while (stack.length > 0) {
    const { pc: p, caps: c } = stack.pop() as { pc: number; caps: number[] };
    if (seen.has(p)) continue;
    seen.add(p);
    const inst = re.prog[p] as Inst;
    switch (inst.op) {
      case 'jmp':
        stack.push({ pc: inst.to, caps: c });
        break;
      case 'split':
        stack.push({ pc: inst.y, caps: c }, { pc: inst.x, caps: c });
        break;
      case 'save': {
        const next = c.slice();
        next[inst.slot] = at;
        stack.push({ pc: p + 1, caps: next });
        break;
      }
      case 'assert':
        if (holds(inst.kind, input, at)) stack.push({ pc: p + 1, caps: c });
        break;
      default:
        list.push({ pc: p, caps: c });
    }
  }
}

function holds(kind: Extract<Inst, { op: 'assert' }>['kind'], input: number[], at: number): boolean {
  const before = input[at - 1];
  const after = input[at];
  switch (kind) {
    case '^':
    case 'A':
      return at === 0;
    case '$':
    case 'z':
      return at === input.length;
    case 'm^':
      return at === 0 || before === 10;
    case 'm$':
      return at === input.length || after === 10;
    case 'b':
    case 'B': {
      const boundary = (before !== undefined && isWord(before)) !== (after !== undefined && isWord(after));
      return kind === 'b' ? boundary : !boundary;
    }
  }
}

/** A subject string as code points, with each code point's UTF-16 offset so matches slice the original. */
export interface Subject {
  text: string;
  cps: number[];
  offsets: number[];
}

export function subject(text: string): Subject {
  const cps: number[] = [];
  const offsets: number[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text.codePointAt(i) as number;
    cps.push(c);
    offsets.push(i);
    i += c > 0xffff ? 2 : 1;
  }
  offsets.push(text.length);
  return { text, cps, offsets };
}

/** The text between two code point positions. */
export function slice(s: Subject, start: number, end: number): string {
  return s.text.slice(s.offsets[start], s.offsets[end]);
}

/** Go's Regexp.Expand for ReplaceAllString: `$1`, `${1}`, `$name`, `${name}`, `$$`; `$1x` is the group named "1x". */
export function expandReplacement(re: Regex, template: string, input: Subject, caps: number[]): string {
  return template.replace(/\$(?:\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))?/g, (whole, braced, bare) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare) as string | undefined;
    if (name === undefined) return whole;
    const index = /^[0-9]+$/.test(name) ? Number(name) : re.names.get(name);
    if (index === undefined || index >= re.groups) return '';
    const [start = -1, end = -1] = [caps[index * 2], caps[index * 2 + 1]];
    return start < 0 ? '' : slice(input, start, end);
  });
}

/** Every non-overlapping match, as Go's FindAll/ReplaceAll walk them (an empty match right after one is skipped). */
export function allMatches(re: Regex, input: number[]): number[][] {
  const matches: number[][] = [];
  let at = 0;
  let previousEnd = -1;
  const budget = { work: MAX_REGEX_WORK };
  while (at <= input.length) {
    const caps = execRegex(re, input, at, budget);
    if (!caps) break;
    const [start = 0, end = 0] = caps;
    if (end === start && start === previousEnd) {
      at = start + 1;
      continue;
    }
    matches.push(caps);
    previousEnd = end;
    at = end > start ? end : end + 1;
  }
  return matches;
}
