import { ConfigError } from '../domain/errors.ts';
import type { BranchRestrictionRule } from '../domain/policy-rules.ts';
import {
  branchName,
  fail,
  fromEnv,
  installRestrictions,
  portNumber,
  promotionChain,
  publicRepoUrl,
  repoUrl,
} from './settings.ts';

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
/** JSON list of more gitops repositories by environment (lib/config/gitops-repos.ts). */
export const ENV_GITOPS_REPOS = 'FERRY_GITOPS_REPOS';
export const ENV_GIT_TOKEN_SECRET_ID = 'FERRY_GIT_TOKEN_SECRET_ID';
/** Where the writer keeps its clone between warm invocations. */
export const ENV_GIT_CACHE_DIR = 'FERRY_GIT_CACHE_DIR';
/** Secrets Manager id of the key Flux's `generic-hmac` provider signs events with. */
export const ENV_FLUX_HMAC_SECRET_ID = 'FERRY_FLUX_HMAC_SECRET_ID';
/** The public Function URL that Flux posts to (what `ferry env init` writes into the Provider). */
export const ENV_FLUX_EVENTS_URL = 'FERRY_FLUX_EVENTS_URL';
/** The invoke-render function http-artifacts and http-releases check and render manifests in. */
export const ENV_RENDER_FUNCTION = 'FERRY_RENDER_FUNCTION';
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
/** Secrets Manager id of Slack's signing secret, which verifies Approve/Reject button presses. */
export const ENV_SLACK_SIGNING_SECRET_ID = 'FERRY_SLACK_SIGNING_SECRET_ID';
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

/** Local stack only (`npm start`): secrets as values, since there is no Secrets Manager there. */
export const ENV_PORT = 'PORT';
export const ENV_DATA_DIR = 'FERRY_DATA_DIR';
export const ENV_GIT_PORT = 'FERRY_GIT_PORT';
export const ENV_ADMIN_TOKEN = 'FERRY_ADMIN_TOKEN';
export const ENV_GIT_TOKEN = 'FERRY_GIT_TOKEN';
export const ENV_FLUX_HMAC_KEY = 'FERRY_FLUX_HMAC_KEY';
export const ENV_SLACK_TOKEN = 'FERRY_SLACK_TOKEN';
export const ENV_GITHUB_TOKEN = 'FERRY_GITHUB_TOKEN';
export const ENV_GITHUB_WEBHOOK_SECRET = 'FERRY_GITHUB_WEBHOOK_SECRET';
/** `npm start`: what Slack signs interactive button presses with (FERRY_SLACK_SIGNING_SECRET_ID on Lambda). */
export const ENV_SLACK_SIGNING_SECRET = 'FERRY_SLACK_SIGNING_SECRET';

export { ConfigError, publicRepoUrl };

type Env = NodeJS.ProcessEnv;

/** Powertools' envUtils in Ferry's terms: an unset or empty variable is undefined. */
export function optionalEnv(name: string, env: Env = process.env): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function requiredEnv(name: string, env: Env = process.env): string {
  return optionalEnv(name, env) ?? fail(fromEnv(name), 'is not set');
}

export interface GitopsConfig {
  repoUrl: string;
  branch: string;
  /** FERRY_GITOPS_REPOS as given (JSON): more repositories by environment. */
  repos?: string;
}

/** Read once per cold start; a missing or malformed variable fails naming it. */
export function loadGitopsConfig(env: Env = process.env): GitopsConfig {
  const repos = optionalEnv(ENV_GITOPS_REPOS, env);
  return {
    repoUrl: repoUrl(fromEnv(ENV_GITOPS_REPO_URL), requiredEnv(ENV_GITOPS_REPO_URL, env)),
    branch: branchName(fromEnv(ENV_GITOPS_BRANCH), optionalEnv(ENV_GITOPS_BRANCH, env) ?? 'main'),
    ...(repos ? { repos } : {}),
  };
}

/** The install's policy settings (FERRY_BRANCH_RESTRICTIONS, FERRY_PROMOTION_CHAIN). */
export interface PolicyConfig {
  installRestrictions: BranchRestrictionRule[];
  promotionChain: string[];
}

export function loadPolicyConfig(env: Env = process.env): PolicyConfig {
  return {
    installRestrictions: installRestrictions(
      fromEnv(ENV_BRANCH_RESTRICTIONS),
      optionalEnv(ENV_BRANCH_RESTRICTIONS, env),
    ),
    promotionChain: promotionChain(fromEnv(ENV_PROMOTION_CHAIN), optionalEnv(ENV_PROMOTION_CHAIN, env)),
  };
}

/** Secrets Manager ids (Lambda); an unset one means the feature is off. */
export interface SecretIds {
  admin?: string;
  gitToken?: string;
  fluxHmacKey?: string;
  slackToken?: string;
  githubToken?: string;
  githubWebhookSecret?: string;
  slackSigningSecret?: string;
}

export function loadSecretIds(env: Env = process.env): SecretIds {
  const ids: [keyof SecretIds, string][] = [
    ['admin', ENV_ADMIN_SECRET_ID],
    ['gitToken', ENV_GIT_TOKEN_SECRET_ID],
    ['fluxHmacKey', ENV_FLUX_HMAC_SECRET_ID],
    ['slackToken', ENV_SLACK_TOKEN_SECRET_ID],
    ['githubToken', ENV_GITHUB_TOKEN_SECRET_ID],
    ['githubWebhookSecret', ENV_GITHUB_WEBHOOK_SECRET_ID],
    ['slackSigningSecret', ENV_SLACK_SIGNING_SECRET_ID],
  ];
  return Object.fromEntries(
    ids.flatMap(([key, name]) => {
      const id = optionalEnv(name, env);
      return id ? [[key, id]] : [];
    }),
  );
}

/**
 * The local stack's own settings (`npm start`); secrets are values here. The notifier's settings are read
 * by loadNotifySettings (lib/config/notify-settings.ts), kept apart so only the notifier bundles Handlebars.
 */
export interface LocalSettings {
  port: number;
  dataDir?: string;
  gitPort?: number;
  adminToken?: string;
  /** A real gitops repository instead of the local bare one. */
  remote?: { url: string; branch?: string; token?: string };
  fluxHmacKey?: string;
  githubWebhookSecret?: string;
  slackSigningSecret?: string;
  slackToken?: string;
  githubToken?: string;
  policy: PolicyConfig;
}

export function loadLocalSettings(env: Env = process.env): LocalSettings {
  const adminToken = optionalEnv(ENV_ADMIN_TOKEN, env);
  if (adminToken !== undefined && adminToken.length < 16)
    fail(fromEnv(ENV_ADMIN_TOKEN), 'must be at least 16 characters');
  const url = optionalEnv(ENV_GITOPS_REPO_URL, env);
  const branch = optionalEnv(ENV_GITOPS_BRANCH, env);
  const gitToken = optionalEnv(ENV_GIT_TOKEN, env);
  const dataDir = optionalEnv(ENV_DATA_DIR, env);
  const gitPort = portNumber(fromEnv(ENV_GIT_PORT), env[ENV_GIT_PORT]);
  const values = {
    fluxHmacKey: optionalEnv(ENV_FLUX_HMAC_KEY, env),
    githubWebhookSecret: optionalEnv(ENV_GITHUB_WEBHOOK_SECRET, env),
    slackSigningSecret: optionalEnv(ENV_SLACK_SIGNING_SECRET, env),
    slackToken: optionalEnv(ENV_SLACK_TOKEN, env),
    githubToken: optionalEnv(ENV_GITHUB_TOKEN, env),
  };
  return {
    port: portNumber(fromEnv(ENV_PORT), env[ENV_PORT]) ?? 8888,
    ...(dataDir ? { dataDir } : {}),
    ...(gitPort !== undefined ? { gitPort } : {}),
    ...(adminToken ? { adminToken } : {}),
    ...(url
      ? {
          remote: {
            url: repoUrl(fromEnv(ENV_GITOPS_REPO_URL), url),
            ...(branch ? { branch: branchName(fromEnv(ENV_GITOPS_BRANCH), branch) } : {}),
            ...(gitToken ? { token: gitToken } : {}),
          },
        }
      : {}),
    ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)),
    policy: loadPolicyConfig(env),
  };
}
