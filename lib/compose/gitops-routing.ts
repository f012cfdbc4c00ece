import type { GitopsRepo, GitopsRouting } from '../app/ports.ts';
import type { GitopsRepos, GitopsTarget } from '../config/gitops-repos.ts';

/**
 * Environments to repositories, as FERRY_GITOPS_REPOS maps them: one clone per repository branch, opened
 * on first use (a writer that only ever writes one repository fetches only that one), shared by the
 * environments that live in different folders of it.
 */
export function gitopsRouting(
  repos: GitopsRepos,
  open: (target: GitopsTarget, key: string) => GitopsRepo,
): GitopsRouting {
  const opened = new Map<string, GitopsRepo>();
  const repoOf = (target: GitopsTarget): GitopsRepo => {
    const key = repos.keyOf(target);
    let repo = opened.get(key);
    if (!repo) {
      repo = open(target, key);
      opened.set(key, repo);
    }
    return repo;
  };
  return {
    keyOf: (env) => repos.keyOf(repos.forEnv(env)),
    repoFor: (env) => repoOf(repos.forEnv(env)),
    folderOf: (env) => repos.forEnv(env).path,
  };
}
