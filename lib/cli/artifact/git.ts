import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isRepositoryName } from '../../domain/names.ts';

const execFileAsync = promisify(execFile);

/**
 * Runs git in `dir`. Git is a fallback source, never a requirement: a missing binary, a directory that
 * is not a clone or an unknown revision all read as "no answer" (undefined), and the caller says what
 * to set instead.
 */
async function git(dir: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('git', args, { cwd: dir, maxBuffer: 4 * 1024 * 1024 });
    return stdout;
  } catch {
    return undefined;
  }
}

export async function headSha(dir: string): Promise<string | undefined> {
  return (await git(dir, ['rev-parse', 'HEAD']))?.trim() || undefined;
}

/** The checked-out branch; a detached HEAD (how most CI systems check out) has none. */
export async function currentBranch(dir: string): Promise<string | undefined> {
  const branch = (await git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']))?.trim();
  return branch && branch !== 'HEAD' ? branch : undefined;
}

export async function originRepository(dir: string): Promise<string | undefined> {
  const url = (await git(dir, ['remote', 'get-url', 'origin']))?.trim();
  return url ? repositoryFromRemote(url) : undefined;
}

/**
 * `owner/repo` from a remote URL: https (credentials in it are ignored, never printed), ssh:// or
 * scp-like `git@host:owner/repo.git`. GitLab subgroups keep every segment.
 */
export function repositoryFromRemote(url: string): string | undefined {
  const scp = /^[^/@]+@[^/:]+:(?!\/)(.+)$/.exec(url);
  let path = scp?.[1];
  if (path === undefined) {
    try {
      path = new URL(url).pathname;
    } catch {
      return undefined;
    }
  }
  const name = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  return isRepositoryName(name) ? name : undefined;
}

export interface CommitInfo {
  authorName: string;
  authorEmail: string;
  committerName: string;
  committerEmail: string;
  /** Commit time, unix seconds. */
  created?: number;
  message: string;
}

const FORMAT = ['%an', '%ae', '%cn', '%ce', '%ct', '%B'].join('%x00');

/**
 * Author, committer, time and message of `sha`. A pull request checkout in GitHub Actions is a shallow
 * merge commit whose parent `sha` (the PR head) is not in the clone; then the merge commit describes it,
 * as Gimlet's shipper (which read `git log -1`) always did.
 */
export async function commitInfo(dir: string, sha: string): Promise<CommitInfo | undefined> {
  return (
    (await readCommit(dir, sha)) ??
    ((await parents(dir, 'HEAD')).includes(sha) ? readCommit(dir, 'HEAD') : undefined)
  );
}

async function readCommit(dir: string, rev: string): Promise<CommitInfo | undefined> {
  const out = await git(dir, ['log', '-1', `--format=${FORMAT}`, rev, '--']);
  if (!out) return undefined;
  const [authorName = '', authorEmail = '', committerName = '', committerEmail = '', time, ...message] =
    out.split('\0');
  const created = Number(time);
  return {
    authorName,
    authorEmail,
    committerName,
    committerEmail,
    created: Number.isSafeInteger(created) && created > 0 ? created : undefined,
    // %B is last, so a NUL inside a message cannot shift the other fields.
    message: message.join('\0').trimEnd(),
  };
}

// `%P` is empty for the boundary commit of a shallow clone; the raw commit object still names them.
async function parents(dir: string, rev: string): Promise<string[]> {
  const header = (await git(dir, ['cat-file', 'commit', rev]))?.split('\n\n')[0] ?? '';
  return header
    .split('\n')
    .filter((line) => line.startsWith('parent '))
    .map((line) => line.slice('parent '.length));
}
