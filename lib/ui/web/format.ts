import type { Version } from './types.ts';

/** `3m`, `2h`, `5d`: how long ago, from epoch seconds or an ISO time. */
export function age(when: number | string | undefined, now = Date.now()): string {
  if (when === undefined) return '';
  const ms = typeof when === 'number' ? when * 1000 : Date.parse(when);
  if (Number.isNaN(ms)) return '';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export const time = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
};

export const shortSha = (sha: string | undefined) => (sha ?? '').slice(0, 7);

/** A tag when the artifact has one, else the short source sha. */
export const versionLabel = (v: Version | null | undefined) => (v ? v.tag || shortSha(v.sha) : '—');

export const firstLine = (text: string | undefined) => (text ?? '').split('\n')[0] ?? '';

const WEB = /^https:\/\/(github\.com|gitlab\.com|bitbucket\.org)\//;

/** A browsable commit page for a gitops repository URL (GitHub/GitLab/Bitbucket over https), if any. */
export function gitopsCommitUrl(repo: string, sha: string): string | undefined {
  if (!WEB.test(repo) || !sha) return undefined;
  const base = repo.replace(/\.git$/, '').replace(/\/$/, '');
  return repo.includes('bitbucket.org') ? `${base}/commits/${sha}` : `${base}/commit/${sha}`;
}

/** The source commit on GitHub when the repository name is `owner/name` (Gimlet's convention). */
export function sourceCommitUrl(v: Version | null | undefined): string | undefined {
  if (!v || !/^[\w.-]+\/[\w.-]+$/.test(v.repositoryName)) return undefined;
  return `https://github.com/${v.repositoryName}/commit/${v.sha}`;
}

/** Only http(s) links from artifacts are shown: a `javascript:` URL in an artifact must not become a link. */
export const safeUrl = (url: string | undefined) => (url && /^https?:\/\//i.test(url) ? url : undefined);

/** Known final states; anything else the server adds later is shown as it comes. */
export const FINAL = new Set(['succeeded', 'failed', 'unchanged', 'superseded']);

export function stateTone(state: string | undefined): string {
  switch (state) {
    case 'succeeded':
      return 'ok';
    case 'failed':
      return 'bad';
    case 'committed':
    case 'reconciling':
    case 'queued':
    case 'requested':
    case 'waiting':
      return 'busy';
    default:
      return 'plain';
  }
}
