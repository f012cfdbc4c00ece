/**
 * Environment variable names shared by the CDK stack (which sets them) and the Lambda composition root
 * (which reads them), so a rename cannot leave one side behind.
 */
export const ENV_TABLE_NAME = 'FERRY_TABLE_NAME';
export const ENV_ADMIN_SECRET_ID = 'FERRY_ADMIN_SECRET_ID';
export const ENV_WRITE_QUEUE_URL = 'FERRY_WRITE_QUEUE_URL';
export const ENV_LOG_LEVEL = 'FERRY_LOG_LEVEL';
export const ENV_GITOPS_REPO_URL = 'FERRY_GITOPS_REPO_URL';
export const ENV_GITOPS_BRANCH = 'FERRY_GITOPS_BRANCH';
export const ENV_GIT_TOKEN_SECRET_ID = 'FERRY_GIT_TOKEN_SECRET_ID';
/** Where the writer keeps its clone between warm invocations. */
export const ENV_GIT_CACHE_DIR = 'FERRY_GIT_CACHE_DIR';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

export interface GitopsConfig {
  repoUrl: string;
  branch: string;
}

/** Read once per cold start; a missing variable fails naming it. */
export function loadGitopsConfig(env: NodeJS.ProcessEnv = process.env): GitopsConfig {
  const repoUrl = requiredEnv(ENV_GITOPS_REPO_URL, env);
  if (publicRepoUrl(repoUrl) !== repoUrl) {
    throw new ConfigError(
      `${ENV_GITOPS_REPO_URL} must not carry credentials; put the token in the git token secret`,
    );
  }
  return { repoUrl, branch: env[ENV_GITOPS_BRANCH] || 'main' };
}

/** The URL without user info, as clients may see it. */
export function publicRepoUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  } catch {
    return url;
  }
}
