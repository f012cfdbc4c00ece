import { memo } from './memo.ts';

/**
 * Glob patterns of deploy and cleanup policies (`feature/*`, `v1.*`, `!main`):
 * - `*` matches any run of characters except `/`, `**` (or longer runs of `*`) any run including `/`;
 * - `?` and a class (`[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]`) match one character, never `/`;
 * - everything else is literal, `.`, `+`, `(` and `\` included (git forbids `*`, `?`, `[` and `\` in ref
 *   names, so no escape syntax is needed); an unclosed `[` is a literal `[`;
 * - the whole value must match; one leading `!` negates (`!!x` is "not `!x`").
 *
 * GimletD compiled gobwas globs without separators, so `feature/*` matched `feature/a/b`, and compiled a
 * negated tag pattern with its `!`, so `!v*` never matched anything and therefore triggered on every tag.
 *
 * Matching simulates the pattern as an automaton, O(pattern × value), instead of compiling a RegExp: V8
 * backtracks, and even `^[^/]*a[^/]*a[^/]*a[^/]*b$`, which has no nested quantifier, took over a minute
 * against a 1,000-character branch name. Patterns and branch names both arrive in artifacts.
 */
export function globMatch(pattern: string, value: string): boolean {
  const glob = compiled(pattern);
  return accepts(glob.tokens, value) !== glob.negated;
}

type Token =
  | { kind: 'char'; char: string }
  | { kind: 'one' }
  | { kind: 'class'; negated: boolean; ranges: Array<[number, number]> }
  | { kind: 'star'; crossesSlash: boolean };

interface Glob {
  negated: boolean;
  tokens: Token[];
}

const compiled = memo(1000, compile);

function compile(pattern: string): Glob {
  const negated = pattern.startsWith('!');
  // Code points, so `?` takes an emoji whole rather than half of a surrogate pair.
  const chars = [...(negated ? pattern.slice(1) : pattern)];
  const tokens: Token[] = [];
  let i = 0;
  while (i < chars.length) {
    const char = chars[i] ?? '';
    if (char === '*') {
      const start = i;
      while (chars[i] === '*') i += 1;
      tokens.push({ kind: 'star', crossesSlash: i - start > 1 });
    } else if (char === '?') {
      tokens.push({ kind: 'one' });
      i += 1;
    } else {
      const bracket = char === '[' ? readClass(chars, i + 1) : undefined;
      tokens.push(bracket?.token ?? { kind: 'char', char });
      i = bracket?.end ?? i + 1;
    }
  }
  return { negated, tokens };
}

/** Reads a class body starting after `[`; a `]` right after the opening (or its `!`/`^`) is a member. */
function readClass(chars: string[], from: number): { token: Token; end: number } | undefined {
  let i = from;
  const negated = chars[i] === '!' || chars[i] === '^';
  if (negated) i += 1;
  const ranges: Array<[number, number]> = [];
  let first = true;
  while (i < chars.length) {
    const char = chars[i] ?? '';
    if (char === ']' && !first) return { token: { kind: 'class', negated, ranges }, end: i + 1 };
    first = false;
    const high = chars[i + 2];
    if (chars[i + 1] === '-' && high !== undefined && high !== ']') {
      ranges.push([codePoint(char), codePoint(high)]);
      i += 3;
    } else {
      ranges.push([codePoint(char), codePoint(char)]);
      i += 1;
    }
  }
  return undefined;
}

function codePoint(char: string): number {
  return char.codePointAt(0) ?? 0;
}

/** Whether a non-star token takes `char`; only a literal `/` in the pattern takes a `/`. */
function consumes(token: Token, char: string): boolean {
  if (token.kind === 'char') return token.char === char;
  if (token.kind === 'star' || char === '/') return false;
  if (token.kind === 'one') return true;
  const c = codePoint(char);
  return token.ranges.some(([low, high]) => low <= c && c <= high) !== token.negated;
}

/**
 * Runs the pattern as an NFA whose states are positions in `tokens`: a star loops on itself and may be
 * skipped; every other token advances on the one character it accepts.
 */
function accepts(tokens: readonly Token[], value: string): boolean {
  let states = skipStars(tokens, [0]);
  for (const char of value) {
    const next = new Set<number>();
    for (const state of states) {
      const token = tokens[state];
      if (token === undefined) continue;
      if (token.kind === 'star') {
        if (token.crossesSlash || char !== '/') next.add(state);
      } else if (consumes(token, char)) {
        next.add(state + 1);
      }
    }
    if (next.size === 0) return false;
    states = skipStars(tokens, [...next]);
  }
  return states.has(tokens.length);
}

function skipStars(tokens: readonly Token[], from: number[]): Set<number> {
  const states = new Set(from);
  for (const state of from) {
    let s = state;
    while (tokens[s]?.kind === 'star') {
      s += 1;
      states.add(s);
    }
  }
  return states;
}
