import { ValidationError } from '../errors.ts';
import { memo } from './memo.ts';

/**
 * A branch restriction (lunarway release-manager's `hamctl policy apply branch-restriction`): only
 * artifacts built from a branch matching `branchRegex` may be released to `env` (or to `env`/`app`).
 */
export interface BranchRestriction {
  env: string;
  app?: string;
  branchRegex: string;
}

export const MAX_RESTRICTION_LENGTH = 200;
/** Unbounded quantifiers (`*`, `+`, `{2,}`) allowed in one restriction; see `dangerOf`. */
const MAX_UNBOUNDED = 3;

/** `branch-restriction prod: ^main$`, for 4xx messages and dry runs. */
export function describeRestriction(restriction: BranchRestriction): string {
  const scope = restriction.app ? `${restriction.env}/${restriction.app}` : restriction.env;
  return `branch-restriction ${scope}: ${restriction.branchRegex}`;
}

/**
 * Like hamctl, the regex is searched for anywhere in the branch (Go's `MatchString`), which is why it must
 * start with `^`. An artifact without a branch (a tag build) is never allowed: a restriction says which
 * branches may ship, and "unknown" is not one of them.
 */
export function restrictionAllows(branchRegex: string, branch: string | undefined): boolean {
  const regex = parseBranchRestriction(branchRegex);
  return branch !== undefined && branch !== '' && regex.test(branch);
}

/** Validates a restriction before it is stored; a ValidationError names what is wrong with it. */
export function parseBranchRestriction(branchRegex: string): RegExp {
  return compiled(branchRegex);
}

const compiled = memo(200, compile);

function compile(source: string): RegExp {
  const problem = dangerOf(source);
  if (problem !== undefined) throw new ValidationError(`branchRegex: ${problem}`);
  try {
    return new RegExp(source);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`branchRegex: is not a valid regular expression (${detail})`, { cause: error });
  }
}

/** What a group holds at any depth: a quantifier that repeats more than once, an alternation. */
interface Group {
  repeats: boolean;
  alternates: boolean;
}

/**
 * Go's RE2 (what hamctl runs) matches in linear time whatever the pattern; V8 backtracks. So the shapes
 * that backtrack exponentially are refused: a repeated group that itself repeats or alternates
 * (`(a+)+`, `(a|aa)*`), backreferences and lookaround (RE2 has neither). Polynomial backtracking
 * (`^.*.*.*x`) grows with the number of unbounded quantifiers, so at most MAX_UNBOUNDED are allowed; anchoring
 * with `^` removes the extra factor of trying every start position. Go-only syntax (`(?i)`, `(?P<n>`,
 * `[[:alpha:]]`) is named rather than left to mean something else in JavaScript.
 */
function dangerOf(source: string): string | undefined {
  if (source === '') return 'is required';
  if (source.length > MAX_RESTRICTION_LENGTH) return `must be at most ${MAX_RESTRICTION_LENGTH} characters`;
  if (!source.startsWith('^')) {
    return 'must start with ^ (as in ^main$): without it the regex is searched for anywhere in the branch';
  }
  const stack: Group[] = [{ repeats: false, alternates: false }];
  let quantifiable: Group | 'atom' | undefined;
  let unbounded = 0;
  let i = 0;
  while (i < source.length) {
    const char = source[i];
    const group = stack.at(-1) ?? { repeats: false, alternates: false };
    if (char === '\\') {
      const escaped = source[i + 1] ?? '';
      if (/[1-9k]/.test(escaped)) return 'must not use backreferences (\\1, \\k<name>)';
      quantifiable = 'atom';
      i += 2;
    } else if (char === '[') {
      const end = classEnd(source, i);
      if (source.slice(i, end).includes('[:')) {
        return 'POSIX classes such as [[:alpha:]] are Go syntax; write [a-zA-Z] instead';
      }
      quantifiable = 'atom';
      i = end;
    } else if (char === '(') {
      const opening = groupOpening(source.slice(i));
      if (typeof opening === 'string') return opening;
      stack.push({ repeats: false, alternates: false });
      quantifiable = undefined;
      i += opening;
    } else if (char === ')') {
      const closed = stack.length > 1 ? stack.pop() : undefined;
      const parent = stack.at(-1);
      if (closed && parent) {
        parent.repeats ||= closed.repeats;
        parent.alternates ||= closed.alternates;
      }
      quantifiable = closed;
      i += 1;
    } else if (char === '|') {
      if (stack.length === 1) {
        return 'must put alternatives in a group after ^ (^(main|release/.*)$): ^a|b searches for b anywhere';
      }
      group.alternates = true;
      quantifiable = undefined;
      i += 1;
    } else {
      const quantifier = quantifierAt(source, i);
      if (quantifier === undefined) {
        quantifiable = 'atom';
        i += 1;
        continue;
      }
      if (quantifier.most > 1) {
        if (typeof quantifiable === 'object' && (quantifiable.repeats || quantifiable.alternates)) {
          const upTo = source.slice(0, quantifier.end);
          return `must not repeat a group that repeats or alternates ("${upTo}"): it can backtrack exponentially`;
        }
        group.repeats = true;
      }
      if (quantifier.most === Number.POSITIVE_INFINITY) unbounded += 1;
      quantifiable = undefined;
      i = quantifier.end + (source[quantifier.end] === '?' ? 1 : 0);
    }
  }
  if (unbounded > MAX_UNBOUNDED) {
    return `has ${unbounded} unbounded quantifiers (*, +, {n,}); at most ${MAX_UNBOUNDED} keep matching fast`;
  }
  return undefined;
}

/** How many characters open this group, or why the group is refused. */
function groupOpening(rest: string): number | string {
  if (!rest.startsWith('(?')) return 1;
  if (rest.startsWith('(?:')) return 3;
  if (/^\(\?(=|!|<=|<!)/.test(rest)) return 'must not use lookahead or lookbehind (Go has neither)';
  const named = /^\(\?<[A-Za-z_$][\w$]*>/.exec(rest);
  if (named) return named[0].length;
  return 'inline flags and (?P<name>…) are Go syntax; write the pattern without them';
}

/** Index just past the class opened at `start` (JavaScript: the first unescaped `]` closes it). */
function classEnd(source: string, start: number): number {
  let i = start + 1;
  while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** A quantifier at `i`, and how many times at most it repeats its atom. */
function quantifierAt(source: string, i: number): { end: number; most: number } | undefined {
  const char = source[i];
  if (char === '*' || char === '+') return { end: i + 1, most: Number.POSITIVE_INFINITY };
  if (char === '?') return { end: i + 1, most: 1 };
  // Outside unicode mode a `{` that is not a full quantifier is a literal, as in Go.
  const braces = char === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i)) : null;
  if (!braces) return undefined;
  const [text, low = '0', comma, high = ''] = braces;
  const most = comma === undefined ? Number(low) : high === '' ? Number.POSITIVE_INFINITY : Number(high);
  return { end: i + text.length, most };
}
