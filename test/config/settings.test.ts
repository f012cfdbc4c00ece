import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, readInstallConfig } from '../../cdk/config.ts';
import * as env from '../../lib/config/env.ts';
import { ENV_GITOPS_REPOS } from '../../lib/config/gitops-repos.ts';
import { loadNotifySettings } from '../../lib/config/notify-settings.ts';
import * as streamRoutes from '../../lib/config/stream-routes.ts';
import { ConfigError } from '../../lib/domain/errors.ts';

const thrown = (run: () => unknown): ConfigError => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
};

describe('the one configuration loader', () => {
  it('rejects the same bad value at both doors with one error class naming the variable or the key', () => {
    // Prepare
    const channels = '{"staging":"not a channel!"}';
    // Act
    const fromEnv = thrown(() => loadNotifySettings({ [env.ENV_SLACK_CHANNELS]: channels }));
    const fromContext = thrown(() =>
      readInstallConfig((key) => (key === 'slackChannels' ? channels : undefined)),
    );
    // Assess
    expect(fromEnv.setting).toBe('FERRY_SLACK_CHANNELS');
    expect(fromContext.setting).toBe('slackChannels');
    expect(fromEnv.message).toBe(
      `FERRY_SLACK_CHANNELS: "staging": "not a channel!" is not a Slack channel name or id`,
    );
    expect(fromContext.message).toBe(
      `context slackChannels: "staging": "not a channel!" is not a Slack channel name or id`,
    );
  });

  it('names a missing or malformed variable of the Lambda and the local stack', () => {
    expect(thrown(() => env.requiredEnv(env.ENV_TABLE_NAME, {})).message).toBe(
      'FERRY_TABLE_NAME: is not set',
    );
    expect(
      thrown(() => env.loadGitopsConfig({ [env.ENV_GITOPS_REPO_URL]: 'https://x:y@git.example/g.git' }))
        .setting,
    ).toBe('FERRY_GITOPS_REPO_URL');
    expect(thrown(() => env.loadPolicyConfig({ [env.ENV_PROMOTION_CHAIN]: 'dev,Prod' })).setting).toBe(
      'FERRY_PROMOTION_CHAIN',
    );
    expect(thrown(() => env.loadLocalSettings({ PORT: '99999' })).setting).toBe('PORT');
    expect(thrown(() => env.loadLocalSettings({ FERRY_ADMIN_TOKEN: 'short' })).setting).toBe(
      'FERRY_ADMIN_TOKEN',
    );
    expect(env.loadLocalSettings({ FERRY_GIT_PORT: '9418' })).toMatchObject({ port: 8888, gitPort: 9418 });
  });

  it('documents every variable and context key in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const names = [
      ...[env, streamRoutes].flatMap((module) =>
        Object.entries(module)
          .filter(([name, value]) => name.startsWith('ENV_') && typeof value === 'string')
          .map(([, value]) => value as string),
      ),
      ENV_GITOPS_REPOS,
    ];
    for (const name of names) expect(readme, name).toContain(`\`${name}\``);
    for (const key of CONTEXT_KEYS) expect(readme, key).toContain(`\`${key}\``);
  });
});
