import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeDynamoArtifactStore } from '../adapters/dynamodb/artifact-store.ts';
import { makeDynamoNotificationStore } from '../adapters/dynamodb/notification-store.ts';
import { makeCommitStatusPort } from '../adapters/github/commit-status.ts';
import { makeSlackPort } from '../adapters/slack/slack-client.ts';
import { systemClock } from '../app/deps.ts';
import { messageRenderer, type NotifyDeps } from '../app/notify.ts';
import type { NotifyConfig } from '../app/notify-ports.ts';
import type { Clock } from '../app/ports.ts';
import { loadNotifySettings, type NotifySettings } from '../config/notify-settings.ts';
import type { CommitUrl } from '../domain/notify-templates.ts';
import type { Logger } from '../log/logger.ts';
import type { Platform } from './functions.ts';
import { lambdaPlatform, lambdaSecrets } from './lambda.ts';

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

/** The loader's notify settings as the notifier's wiring, with the platform's token readers or values. */
export function notifyWiring(
  settings: NotifySettings,
  tokens: { slack?: TokenSource | undefined; github?: TokenSource | undefined },
): Pick<NotifyWiring, 'slack' | 'github' | 'gitopsRepoUrl'> {
  return {
    slack: {
      ...(tokens.slack ? { token: tokens.slack } : {}),
      ...(settings.slackApiUrl ? { apiUrl: settings.slackApiUrl } : {}),
      channels: settings.channels,
      ...(Object.keys(settings.templates).length > 0 ? { templates: settings.templates } : {}),
    },
    github: {
      ...(tokens.github ? { token: tokens.github } : {}),
      ...(settings.githubApiUrl ? { baseUrl: settings.githubApiUrl } : {}),
    },
    ...(settings.gitopsRepoUrl ? { gitopsRepoUrl: settings.gitopsRepoUrl } : {}),
  };
}

/**
 * stream-notify's builder on either platform: the platform's clients and tokens, the notifier's settings.
 * It lives here, not in functions.ts, so only the notifier's bundle carries Slack, Octokit and Handlebars.
 */
export function notifyDeps(p: Platform, settings: NotifySettings, tuning: NotifyTuning = {}): NotifyDeps {
  const wiring = notifyWiring(settings, { slack: p.secret('slackToken'), github: p.secret('githubToken') });
  return makeNotifyDeps({
    dynamo: p.dynamo,
    tableName: p.tableName,
    logger: p.logger,
    clock: p.clock,
    ...wiring,
    slack: { ...wiring.slack, ...tuning.slack },
    github: { ...wiring.github, ...tuning.github },
  });
}

/** Retry pacing the tests turn down (and a local stack's fake Slack and GitHub). */
export interface NotifyTuning {
  slack?: { retry?: RetryTuning };
  github?: { retry?: RetryTuning; writesPerMinute?: number };
}

/** The Lambda composition root of stream-notify: tokens from Secrets Manager, re-read every few minutes. */
export function lambdaNotifyDeps(env: NodeJS.ProcessEnv = process.env): NotifyDeps {
  return notifyDeps(lambdaPlatform(env, lambdaSecrets), loadNotifySettings(env));
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
