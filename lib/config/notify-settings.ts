import { makeMessageRenderer } from '../domain/notify-templates.ts';
import {
  ENV_GITHUB_API_URL,
  ENV_GITOPS_REPO_URL,
  ENV_SLACK_API_URL,
  ENV_SLACK_CHANNELS,
  ENV_SLACK_TEMPLATES,
  optionalEnv,
} from './env.ts';
import { fromEnv, named, type SettingRef, slackChannels, stringMap } from './settings.ts';

/**
 * The notifier's settings, part of the one loader but in a file of their own: validating templates needs
 * Handlebars, which only the notifier's bundle (and CDK) should carry.
 */
export interface NotifySettings {
  channels: Record<string, string>;
  templates: Record<string, string>;
  slackApiUrl?: string;
  githubApiUrl?: string;
  /** The gitops repository: a github.com one gets commit links. */
  gitopsRepoUrl?: string;
}

/** Compiled here as the notifier compiles them, so a broken template fails the start or the deploy. */
export function slackTemplates(at: SettingRef, raw: unknown): Record<string, string> {
  const templates = stringMap(at, raw);
  named(at, () => makeMessageRenderer(templates));
  return templates;
}

export function loadNotifySettings(env: NodeJS.ProcessEnv = process.env): NotifySettings {
  const slackApiUrl = optionalEnv(ENV_SLACK_API_URL, env);
  const githubApiUrl = optionalEnv(ENV_GITHUB_API_URL, env);
  const gitopsRepoUrl = optionalEnv(ENV_GITOPS_REPO_URL, env);
  return {
    channels: slackChannels(fromEnv(ENV_SLACK_CHANNELS), optionalEnv(ENV_SLACK_CHANNELS, env)),
    templates: slackTemplates(fromEnv(ENV_SLACK_TEMPLATES), optionalEnv(ENV_SLACK_TEMPLATES, env)),
    ...(slackApiUrl ? { slackApiUrl } : {}),
    ...(githubApiUrl ? { githubApiUrl } : {}),
    ...(gitopsRepoUrl ? { gitopsRepoUrl } : {}),
  };
}
