/**
 * Environment variable names shared by the CDK stack (which sets them) and the Lambda composition root
 * (which reads them), so a rename cannot leave one side behind.
 */
export const ENV_TABLE_NAME = 'FERRY_TABLE_NAME';
export const ENV_ADMIN_SECRET_ID = 'FERRY_ADMIN_SECRET_ID';
export const ENV_WRITE_QUEUE_URL = 'FERRY_WRITE_QUEUE_URL';
export { ENV_LOG_LEVEL } from './log-level.ts';
export const ENV_GITOPS_REPO_URL = 'FERRY_GITOPS_REPO_URL';
export const ENV_GITOPS_BRANCH = 'FERRY_GITOPS_BRANCH';
export const ENV_GIT_TOKEN_SECRET_ID = 'FERRY_GIT_TOKEN_SECRET_ID';
/** Where the writer keeps its clone between warm invocations. */
export const ENV_GIT_CACHE_DIR = 'FERRY_GIT_CACHE_DIR';
/** Secrets Manager id of the key Flux's `generic-hmac` provider signs events with. */
export const ENV_FLUX_HMAC_SECRET_ID = 'FERRY_FLUX_HMAC_SECRET_ID';
/** The public Function URL that Flux posts to (what `ferry env init` writes into the Provider). */
export const ENV_FLUX_EVENTS_URL = 'FERRY_FLUX_EVENTS_URL';
export const ENV_SLACK_TOKEN_SECRET_ID = 'FERRY_SLACK_TOKEN_SECRET_ID';
/** JSON `{ "<env>": "<channel>", "*": "<default channel>" }`. */
export const ENV_SLACK_CHANNELS = 'FERRY_SLACK_CHANNELS';
/** JSON `{ "<state or intent>": "<handlebars template>" }` overriding the default message templates. */
export const ENV_SLACK_TEMPLATES = 'FERRY_SLACK_TEMPLATES';
/** Base URL of Slack's Web API (tests and proxies); Slack's own when unset. */
export const ENV_SLACK_API_URL = 'FERRY_SLACK_API_URL';
export const ENV_GITHUB_TOKEN_SECRET_ID = 'FERRY_GITHUB_TOKEN_SECRET_ID';
/** Secrets Manager id of the secret GitHub signs webhook deliveries with (X-Hub-Signature-256). */
export const ENV_GITHUB_WEBHOOK_SECRET_ID = 'FERRY_GITHUB_WEBHOOK_SECRET_ID';
/** JSON `[{ "env": "production", "app"?: "web", "branch": "^main$" }]`: restrictions fixed at install. */
export const ENV_BRANCH_RESTRICTIONS = 'FERRY_BRANCH_RESTRICTIONS';
/** JSON `[{ "repository": "acme/web", "ref"?: "refs/heads/main", "workflow"?, "job_workflow_ref"?, "environment"?, "role": "deployer", "envs": ["staging"] }]`. */
export const ENV_OIDC_RULES = 'FERRY_OIDC_RULES';
/** The `aud` a GitHub Actions OIDC token must carry; default `ferry`. */
export const ENV_OIDC_AUDIENCE = 'FERRY_OIDC_AUDIENCE';
/** The OIDC issuer (tests, GitHub Enterprise Server); GitHub Actions' own when unset. */
export const ENV_OIDC_ISSUER = 'FERRY_OIDC_ISSUER';
/** Comma-separated environments in promotion order, e.g. `dev,staging,production`. */
export const ENV_PROMOTION_CHAIN = 'FERRY_PROMOTION_CHAIN';
/** Base URL of GitHub's REST API (GitHub Enterprise, tests); api.github.com when unset. */
export const ENV_GITHUB_API_URL = 'FERRY_GITHUB_API_URL';

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
  /** FERRY_GITOPS_REPOS as given (JSON): more repositories by environment. */
  repos?: string;
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
