import {
  ConfigError,
  ENV_GITOPS_BRANCH,
  ENV_GITOPS_REPO_URL,
  ENV_GITOPS_REPOS,
  type GitopsConfig,
  loadGitopsConfig,
  publicRepoUrl,
} from './env.ts';

export { ENV_GITOPS_REPOS };

/**
 * JSON list of extra gitops repositories, GimletD's `GITOPS_REPOS` in Ferry's terms:
 * `[{ "envs": ["production"], "url": "https://…/prod-gitops.git", "branch": "main", "path": "clusters/prod",
 *     "tokenSecretId": "ferry/prod-git-token" }]`. Environments not listed use the default repository
 * (FERRY_GITOPS_REPO_URL, FERRY_GITOPS_BRANCH, the repository root, FERRY_GIT_TOKEN_SECRET_ID).
 */

/**
 * Where one environment's folders live: `<path>/<env>/<app>` on `branch` of `url`. Environments in
 * different folders of one repository branch share its clone, its serialised writes and its token.
 */
export interface GitopsTarget {
  url: string;
  branch: string;
  /** Folder inside the repository, no leading or trailing slash; '' for the root. */
  path: string;
  /** Secrets Manager id of this repository's token; undefined: the default repository's token. */
  tokenSecretId?: string;
}

export interface GitopsRepos {
  /** The repository an environment's releases are written to. */
  forEnv(env: string): GitopsTarget;
  /** Every configured repository branch once (the first environment folder named in it), the default first. */
  all(): GitopsTarget[];
  /** Stable key of a repository + branch: writes with the same key are serialised, others run in parallel. */
  keyOf(target: GitopsTarget): string;
}

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

function fail(message: string): never {
  throw new ConfigError(ENV_GITOPS_REPOS, message);
}

function parsePath(value: unknown, at: string): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string') fail(`${at}.path must be a string`);
  const segments = value.replace(/^\/+|\/+$/g, '').split('/');
  for (const segment of segments) {
    if (!PATH_SEGMENT.test(segment) || segment === '.' || segment === '..') {
      fail(`${at}.path "${value}" must be a relative folder of [A-Za-z0-9._-] segments, without . or ..`);
    }
  }
  return segments.join('/');
}

/** Validates once at cold start; every mistake fails naming the entry and the field. */
export function loadGitopsRepos(env: NodeJS.ProcessEnv = process.env): GitopsRepos {
  const base: GitopsConfig = loadGitopsConfig(env);
  const fallback: GitopsTarget = { url: base.repoUrl, branch: base.branch, path: '' };
  const byEnv = new Map<string, GitopsTarget>();
  const targets: GitopsTarget[] = [fallback];
  const raw = env[ENV_GITOPS_REPOS];
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      fail('is not valid JSON');
    }
    if (!Array.isArray(parsed)) fail('must be a JSON list of { envs, url, branch?, path?, tokenSecretId? }');
    parsed.forEach((entry: unknown, i) => {
      const at = `[${i}]`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
        fail(`${at} must be an object`);
      const e = entry as Record<string, unknown>;
      for (const field of Object.keys(e)) {
        if (!['envs', 'url', 'branch', 'path', 'tokenSecretId'].includes(field))
          fail(`${at}.${field} is not a known field`);
      }
      if (typeof e.url !== 'string' || e.url === '') fail(`${at}.url is required`);
      if (publicRepoUrl(e.url) !== e.url) fail(`${at}.url must not carry credentials; use tokenSecretId`);
      if (e.branch !== undefined && (typeof e.branch !== 'string' || e.branch === ''))
        fail(`${at}.branch must be a non-empty string`);
      if (e.tokenSecretId !== undefined && typeof e.tokenSecretId !== 'string')
        fail(`${at}.tokenSecretId must be a string`);
      if (!Array.isArray(e.envs) || e.envs.length === 0)
        fail(`${at}.envs must list at least one environment`);
      const target: GitopsTarget = {
        url: e.url,
        branch: (e.branch as string | undefined) ?? 'main',
        path: parsePath(e.path, at),
        ...(e.tokenSecretId ? { tokenSecretId: e.tokenSecretId as string } : {}),
      };
      // One clone per repository branch, with one token: its folders cannot name different secrets.
      const sameRepo = targets.find((t) => t.url === target.url && t.branch === target.branch);
      if (sameRepo && sameRepo.tokenSecretId !== target.tokenSecretId)
        fail(
          `${at}.tokenSecretId must be the same as for the other environments of ${target.url} (${target.branch})`,
        );
      const clash = targets.find(
        (t) => t.url === target.url && t.branch === target.branch && t.path === target.path,
      );
      const shared = clash ?? target;
      if (!clash) targets.push(target);
      for (const name of e.envs) {
        if (typeof name !== 'string' || !LABEL.test(name))
          fail(`${at}.envs: "${String(name)}" is not a DNS-1123 label`);
        if (byEnv.has(name)) fail(`environment "${name}" is mapped twice`);
        byEnv.set(name, shared);
      }
    });
  }
  const keyOf = (target: GitopsTarget) => `${target.url}#${target.branch}`;
  return {
    forEnv: (name) => byEnv.get(name) ?? fallback,
    all: () => targets.filter((t, i) => targets.findIndex((o) => keyOf(o) === keyOf(t)) === i),
    keyOf,
  };
}

/** The writer's serialisation key of an environment's repository (the FIFO message group is its hash). */
export function repoKeyOf(repos: GitopsRepos): (env: string) => string {
  return (env) => repos.keyOf(repos.forEnv(env));
}

/** The repositories of a loaded gitops configuration (its `repos` is FERRY_GITOPS_REPOS). */
export function gitopsReposOf(gitops: GitopsConfig): GitopsRepos {
  return loadGitopsRepos({
    [ENV_GITOPS_REPO_URL]: gitops.repoUrl,
    [ENV_GITOPS_BRANCH]: gitops.branch,
    ...(gitops.repos ? { [ENV_GITOPS_REPOS]: gitops.repos } : {}),
  });
}
