import { GIT_EVENTS, type GitEvent } from '../../domain/git-refs.ts';
import type { CliIo } from '../command.ts';
import { UsageError } from '../errors.ts';
import { currentBranch, headSha, originRepository } from './git.ts';

/** What an artifact says about its commit; each field may come from CI, FERRY_* or the git clone. */
export interface CommitSource {
  repository?: string;
  sha?: string;
  branch?: string;
  event?: GitEvent;
  tag?: string;
  sourceBranch?: string;
  targetBranch?: string;
  prNumber?: string;
  url?: string;
}

type NonEmpty<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/** Only the non-empty values, so spreading one source over another never blanks a value. */
export function nonEmpty<const T extends Record<string, string | undefined>>(values: T): NonEmpty<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v)) as NonEmpty<T>;
}

/** `FERRY_*` for any CI (or a laptop); they also override what GitHub Actions detection found. */
export function ferrySource(env: CliIo['env']): CommitSource {
  const event = env.FERRY_EVENT || undefined;
  if (event !== undefined && !(GIT_EVENTS as readonly string[]).includes(event)) {
    throw new UsageError(`FERRY_EVENT must be one of ${GIT_EVENTS.join(', ')}, got "${event}"`);
  }
  return nonEmpty({
    repository: env.FERRY_REPOSITORY,
    sha: env.FERRY_SHA,
    branch: env.FERRY_BRANCH,
    event,
    tag: env.FERRY_TAG,
    sourceBranch: env.FERRY_SOURCE_BRANCH,
    targetBranch: env.FERRY_TARGET_BRANCH,
    prNumber: env.FERRY_PR_NUMBER,
    url: env.FERRY_URL,
  }) as CommitSource; // event was checked against GIT_EVENTS above
}

/**
 * Fills what neither CI nor FERRY_* said from the clone in `dir`, and refuses to go on without a
 * repository and a sha. Without an explicit event, a tag means `tag` and a PR number means `pr`.
 */
export async function completeSource(
  source: CommitSource,
  dir: string,
): Promise<Required<Pick<CommitSource, 'repository' | 'sha' | 'event'>> & CommitSource> {
  const event = source.event ?? (source.tag ? 'tag' : source.prNumber ? 'pr' : 'push');
  const repository = source.repository ?? (await originRepository(dir));
  if (!repository) {
    throw new UsageError(
      'cannot tell the repository: set FERRY_REPOSITORY=owner/repo, or run in a clone with an origin remote (--dir)',
    );
  }
  const sha = source.sha ?? (await headSha(dir));
  if (!sha) throw new UsageError('cannot tell the commit: set FERRY_SHA, or run inside a git clone (--dir)');
  // A tag build has no branch (a detached checkout of the tag would otherwise report none or a stale one).
  const branch = source.branch ?? (event === 'tag' ? undefined : await currentBranch(dir));
  if (event === 'tag' && !source.tag) throw new UsageError('a tag build needs the tag: set FERRY_TAG');
  const sourceBranch = source.sourceBranch ?? (event === 'pr' ? branch : undefined);
  return { ...source, event, repository, sha, branch, sourceBranch };
}
