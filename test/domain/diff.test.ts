import { describe, expect, it } from 'vitest';
import { diffFolders, unifiedDiff } from '../../lib/domain/diff.ts';

describe('unifiedDiff', () => {
  it('prints a change with three lines of context, removals first', () => {
    const before = 'a\nb\nc\nd\ne\nf\ng\nh\n';
    const after = 'a\nb\nc\nd\nE\nf\ng\nh\n';
    expect(unifiedDiff('x.yaml', before, after)).toBe(
      [
        '--- a/x.yaml',
        '+++ b/x.yaml',
        '@@ -2,7 +2,7 @@',
        ' b',
        ' c',
        ' d',
        '-e',
        '+E',
        ' f',
        ' g',
        ' h',
        '',
      ].join('\n'),
    );
  });

  it('splits far-apart changes into hunks and numbers them', () => {
    const before = `${Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n')}\n`;
    const after = before.replace('l1\n', 'L1\n').replace('l18\n', 'L18\n');
    const diff = unifiedDiff('f', before, after);
    expect(diff.match(/^@@ .* @@$/gm)).toEqual(['@@ -1,5 +1,5 @@', '@@ -16,5 +16,5 @@']);
  });

  it('adds and removes whole files against /dev/null; nothing for equal text', () => {
    expect(unifiedDiff('n', undefined, 'x\n')).toBe('--- /dev/null\n+++ b/n\n@@ -0,0 +1,1 @@\n+x\n');
    expect(unifiedDiff('o', 'x\n', undefined)).toBe('--- a/o\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-x\n');
    expect(unifiedDiff('s', 'same\n', 'same\n')).toBe('');
  });

  it('lists changed files of two folders by kind', () => {
    const { changes, diff } = diffFolders(
      'staging/web',
      new Map([
        ['a.yaml', '1\n'],
        ['gone.yaml', 'x\n'],
        ['same.yaml', 's\n'],
      ]),
      new Map([
        ['a.yaml', '2\n'],
        ['new.yaml', 'y\n'],
        ['same.yaml', 's\n'],
      ]),
    );
    expect(changes).toEqual([
      { path: 'staging/web/a.yaml', change: 'modified' },
      { path: 'staging/web/gone.yaml', change: 'removed' },
      { path: 'staging/web/new.yaml', change: 'added' },
    ]);
    expect(diff).toContain('--- a/staging/web/gone.yaml\n+++ /dev/null');
  });
});
