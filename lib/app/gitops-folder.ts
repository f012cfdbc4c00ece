import { repoPath } from '../domain/flux-layout.ts';
import type { FolderChange, GitopsRepo } from './ports.ts';

/**
 * An environment's view of its repository when it lives in `folder` (FERRY_GITOPS_REPOS `path`): the use
 * cases keep speaking of `<env>/<app>`, and every path they read or write lands under `<folder>/`. History,
 * fetches and pushes are the repository's, shared with every other environment in it.
 */
export function inFolder(repo: GitopsRepo, folder: string): GitopsRepo {
  if (!folder) return repo;
  const at = (path: string) => repoPath(folder, path);
  const moved = (change: FolderChange): FolderChange => ({
    ...change,
    dir: at(change.dir),
    ...(change.edits ? { edits: change.edits.map((e) => ({ ...e, path: at(e.path) })) } : {}),
  });
  return {
    url: repo.url,
    sync: (options) => repo.sync(options),
    recentCommits: (head, since) => repo.recentCommits(head, since),
    commit: (parent, change, message, time) => repo.commit(parent, moved(change), message, time),
    changedDir: (sha, dir) => repo.changedDir(sha, at(dir)),
    readFile: (sha, path) => repo.readFile(sha, at(path)),
    readFolder: (sha, dir) => repo.readFolder(sha, at(dir)),
    holdsFiles: (sha, dir, files, ignore) => repo.holdsFiles(sha, at(dir), files, ignore),
    listFolders: (sha, dir) => repo.listFolders(sha, at(dir)),
    push: (expected, head) => repo.push(expected, head),
  };
}
