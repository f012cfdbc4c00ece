import type { GitopsRepo, GitopsRouting } from '../app/ports.ts';
import { ConfigError } from '../config/env.ts';
import { ENV_GITOPS_REPOS, type GitopsRepos, type GitopsTarget } from '../config/gitops-repos.ts';

/**
 * Environments to repositories, as FERRY_GITOPS_REPOS maps them: one clone per repository branch, opened
 * on first use (a writer that only ever writes one repository fetches only that one).
 */
export function gitopsRouting(
  repos: GitopsRepos,
  open: (target: GitopsTarget, key: string) => GitopsRepo,
): GitopsRouting {
  for (const target of repos.all()) {
    // A folder inside the repository would have to reach every Flux path Ferry writes; not yet.
    if (target.path !== '')
      throw new ConfigError(
        ENV_GITOPS_REPOS,
        `path "${target.path}" is not supported yet; environments live at the repository root`,
      );
  }
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
  };
}
