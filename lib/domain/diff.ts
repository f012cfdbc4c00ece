/**
 * Unified diffs of small text files (rendered manifests), as `git diff` prints them: `--- a/<path>`,
 * `+++ b/<path>`, hunks with 3 lines of context. Line matching is a longest-common-subsequence table, which
 * is quadratic: fine for manifests, so very long files are compared as whole blocks instead.
 */
const CONTEXT = 3;
const MAX_CELLS = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; line: string };

function lines(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  const split = text.split('\n');
  if (split.at(-1) === '') split.pop();
  return split;
}

function operations(before: string[], after: string[]): Op[] {
  if (before.length * after.length > MAX_CELLS) {
    return [
      ...before.map((line) => ({ kind: '-' as const, line })),
      ...after.map((line) => ({ kind: '+' as const, line })),
    ];
  }
  const n = before.length;
  const m = after.length;
  const table: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = table[i] as Uint32Array;
    const next = table[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--) {
      row[j] =
        before[i] === after[j]
          ? (next[j + 1] as number) + 1
          : Math.max(next[j] as number, row[j + 1] as number);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      ops.push({ kind: ' ', line: before[i] as string });
      i++;
      j++;
    } else if (
      i < n &&
      (j === m ||
        ((table[i + 1] as Uint32Array)[j] as number) >= ((table[i] as Uint32Array)[j + 1] as number))
    ) {
      // Removals before additions, as git prints them.
      ops.push({ kind: '-', line: before[i] as string });
      i++;
    } else {
      ops.push({ kind: '+', line: after[j] as string });
      j++;
    }
  }
  return ops;
}

/** The diff of one file; empty when nothing changed. `undefined` content means the file is absent. */
export function unifiedDiff(path: string, before: string | undefined, after: string | undefined): string {
  if (before === after) return '';
  const ops = operations(lines(before), lines(after));
  const changed = ops.map((op, index) => (op.kind === ' ' ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return '';
  const hunks: { start: number; end: number }[] = [];
  for (const index of changed) {
    const last = hunks.at(-1);
    const start = Math.max(0, index - CONTEXT);
    const end = Math.min(ops.length, index + CONTEXT + 1);
    if (last && start <= last.end) last.end = end;
    else hunks.push({ start, end });
  }
  const out = [
    `--- ${before === undefined ? '/dev/null' : `a/${path}`}`,
    `+++ ${after === undefined ? '/dev/null' : `b/${path}`}`,
  ];
  for (const { start, end } of hunks) {
    let oldStart = 1;
    let newStart = 1;
    for (const op of ops.slice(0, start)) {
      if (op.kind !== '+') oldStart++;
      if (op.kind !== '-') newStart++;
    }
    const slice = ops.slice(start, end);
    const oldCount = slice.filter((op) => op.kind !== '+').length;
    const newCount = slice.filter((op) => op.kind !== '-').length;
    out.push(
      `@@ -${oldCount === 0 ? oldStart - 1 : oldStart},${oldCount} +${newCount === 0 ? newStart - 1 : newStart},${newCount} @@`,
    );
    for (const op of slice) out.push(`${op.kind}${op.line}`);
  }
  return `${out.join('\n')}\n`;
}

export interface FileChange {
  path: string;
  change: 'added' | 'modified' | 'removed';
}

/** Every file that differs between two folders (by name), with one diff text for them all. */
export function diffFolders(
  dir: string,
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): { changes: FileChange[]; diff: string } {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: FileChange[] = [];
  let diff = '';
  for (const name of names) {
    const a = before.get(name);
    const b = after.get(name);
    if (a === b) continue;
    const path = `${dir}/${name}`;
    changes.push({ path, change: a === undefined ? 'added' : b === undefined ? 'removed' : 'modified' });
    diff += unifiedDiff(path, a, b);
  }
  return { changes, diff };
}

/** What one gitops commit changed, kept with the commit for the dashboard (`GET /api/releases/{id}/diff`). */
export interface CommitDiff {
  changes: FileChange[];
  diff: string;
  /** The diff text was cut at `MAX_KEPT_DIFF` characters; `changes` still lists every file. */
  truncated?: boolean;
}

/** Diff text kept per commit: enough for any manifest change a person reads, small beside a table item. */
export const MAX_KEPT_DIFF = 100_000;

/** Cuts the text of a diff to what is kept, on a line boundary, saying so. */
export function boundDiff(diff: CommitDiff, max = MAX_KEPT_DIFF): CommitDiff {
  if (diff.diff.length <= max) return diff;
  const cut = diff.diff.lastIndexOf('\n', max);
  return { changes: diff.changes, diff: diff.diff.slice(0, cut > 0 ? cut + 1 : max), truncated: true };
}
