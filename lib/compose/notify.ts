import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { makeDynamoArtifactStore } from '../adapters/dynamodb/artifact-store.ts';
import { makeDynamoNotificationStore } from '../adapters/dynamodb/notification-store.ts';
import { makeCommitStatusPort } from '../adapters/github/commit-status.ts';
import { makeCachedSecret } from '../adapters/secrets/cached-secret.ts';
import { makeSlackPort } from '../adapters/slack/slack-client.ts';
import { systemClock } from '../app/deps.ts';
import { messageRenderer, type NotifyDeps } from '../app/notify.ts';
import type { NotifyConfig } from '../app/notify-ports.ts';
import type { Clock } from '../app/ports.ts';
import {
  ConfigError,
  ENV_GITHUB_API_URL,
  ENV_GITHUB_TOKEN_SECRET_ID,
  ENV_GITOPS_REPO_URL,
  ENV_SLACK_API_URL,
  ENV_SLACK_CHANNELS,
  ENV_SLACK_TEMPLATES,
  ENV_SLACK_TOKEN_SECRET_ID,
  ENV_TABLE_NAME,
  requiredEnv,
} from '../config/env.ts';
import { ValidationError } from '../domain/errors.ts';
import type { CommitUrl } from '../domain/notify-templates.ts';
import { type Logger, makeLogger } from '../log/logger.ts';

/** A token as a value (local stack) or as a reader of a secret (Lambda); none disables the service. */
export type TokenSource = string | (() => Promise<string | undefined>);

export interface RetryTuning {
  retries?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export interface NotifyWiring {
  dynamo: DynamoDBClient;
  tableName: string;
  logger: Logger;
  clock?: Clock;
  slack?: {
    token?: TokenSource;
    apiUrl?: string;
    /** Environment → channel, `*` for the others; no channel means no Slack message. */
    channels?: Record<string, string>;
    templates?: Partial<Record<string, string>>;
    retry?: RetryTuning;
  };
  github?: {
    token?: TokenSource;
    baseUrl?: string;
    retry?: RetryTuning;
    /** Statuses per minute at most: GitHub's content-creation limit (80) unless set lower or, in tests, higher. */
    writesPerMinute?: number;
  };
  /** The gitops repository: a github.com one gets commit links. */
  gitopsRepoUrl?: string;
}

/**
 * The notifier's adapters from plain values, for the local stack and tests as for Lambda. Template
 * overrides are compiled here, so a bad one stops the start instead of a release's announcement.
 */
export function makeNotifyDeps(options: NotifyWiring): NotifyDeps {
  const { slack = {}, github = {}, logger } = options;
  const config: NotifyConfig = {
    channels: slack.channels ?? {},
    ...(slack.templates ? { templates: slack.templates } : {}),
  };
  messageRenderer(config);
  const gitopsCommitUrl = githubCommitUrl(options.gitopsRepoUrl);
  return {
    slack: makeSlackPort({
      ...(slack.token ? { token: slack.token } : {}),
      ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}),
      ...slack.retry,
      logger,
    }),
    commitStatus: makeCommitStatusPort({
      ...(github.token ? { token: github.token } : {}),
      ...(github.baseUrl ? { baseUrl: github.baseUrl } : {}),
      ...github.retry,
      ...(github.writesPerMinute ? { writesPerMinute: github.writesPerMinute } : {}),
      logger,
    }),
    notifications: makeDynamoNotificationStore(options.dynamo, options.tableName),
    artifacts: makeDynamoArtifactStore(options.dynamo, options.tableName),
    config,
    ...(gitopsCommitUrl ? { gitopsCommitUrl } : {}),
    clock: options.clock ?? systemClock,
    logger,
  };
}

/** The Lambda composition root: tokens from Secrets Manager, re-read every few minutes. */
export function lambdaNotifyDeps(env: NodeJS.ProcessEnv = process.env): NotifyDeps {
  const tableName = requiredEnv(ENV_TABLE_NAME, env);
  let secrets: SecretsManagerClient | undefined;
  const secret = (name: string) => {
    const id = env[name];
    if (!id) return undefined;
    secrets ??= new SecretsManagerClient({});
    return makeCachedSecret(secrets, id, systemClock);
  };
  const channels = stringMap(env, ENV_SLACK_CHANNELS);
  const templates = stringMap(env, ENV_SLACK_TEMPLATES);
  const slackToken = secret(ENV_SLACK_TOKEN_SECRET_ID);
  const githubToken = secret(ENV_GITHUB_TOKEN_SECRET_ID);
  try {
    return makeNotifyDeps({
      dynamo: new DynamoDBClient({}),
      tableName,
      logger: makeLogger(),
      slack: {
        ...(slackToken ? { token: slackToken } : {}),
        ...(env[ENV_SLACK_API_URL] ? { apiUrl: env[ENV_SLACK_API_URL] } : {}),
        ...(channels ? { channels } : {}),
        ...(templates ? { templates } : {}),
      },
      github: {
        ...(githubToken ? { token: githubToken } : {}),
        ...(env[ENV_GITHUB_API_URL] ? { baseUrl: env[ENV_GITHUB_API_URL] } : {}),
      },
      ...(env[ENV_GITOPS_REPO_URL] ? { gitopsRepoUrl: env[ENV_GITOPS_REPO_URL] } : {}),
    });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ConfigError(`${ENV_SLACK_TEMPLATES}: ${error.message}`);
  }
}

/** `https://github.com/<owner>/<repo>(.git)` → its commit pages; any other host has no known link. */
export function githubCommitUrl(repoUrl: string | undefined): CommitUrl | undefined {
  let url: URL;
  try {
    url = new URL(repoUrl ?? '');
  } catch {
    return undefined;
  }
  const path = /^\/([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url.pathname);
  if (url.protocol !== 'https:' || url.hostname !== 'github.com' || !path) return undefined;
  return (sha) => `https://github.com/${path[1]}/${path[2]}/commit/${sha}`;
}

function stringMap(env: NodeJS.ProcessEnv, name: string): Record<string, string> | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${name} is not valid JSON`);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    Object.values(parsed).some((v) => typeof v !== 'string')
  ) {
    throw new ConfigError(`${name} must be a JSON object whose values are strings`);
  }
  return parsed as Record<string, string>;
}
