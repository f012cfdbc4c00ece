import type { Release } from './api.ts';
import type { Output } from './command.ts';

export function printJson(out: Output, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

const short = (sha: string | undefined) => (sha ? sha.slice(0, 8) : '-');

/**
 * One release per line, columns separated by two spaces so they stay readable without a table:
 * `<label>  [rollback|delete]  <gitopsRef 8>  <sha 8> <branch or tag>  by <who>  <ISO time>  [ROLLED BACK]  [ON HOLD (by x: why)]`
 */
export function releaseLine(label: string, release: Release): string {
  const version = release.version;
  const ref = version?.tag || version?.branch || '';
  const when = release.created === undefined ? '-' : new Date(release.created * 1000).toISOString();
  const parts = [
    label,
    short(release.gitopsRef),
    `${short(version?.sha)}${ref ? ` ${ref}` : ''}`,
    `by ${release.triggeredBy || '-'}`,
    when,
  ];
  // History lists rollbacks and deletes too; deploys are the usual case and stay unmarked.
  if (release.intent && release.intent !== 'deploy') parts.splice(1, 0, release.intent);
  if (release.rolledBack) parts.push('[ROLLED BACK]');
  if (release.hold) parts.push(`ON HOLD (by ${release.hold.by}: ${release.hold.reason})`);
  return parts.join('  ');
}
