import type { GitopsConfig } from '../lib/config/env.ts';
import { gitopsReposOf } from '../lib/config/gitops-repos.ts';
import { slackTemplates } from '../lib/config/notify-settings.ts';
import {
  booleanValue,
  branchName,
  fail,
  fromContext,
  installRestrictions,
  jsonValue,
  positiveNumber,
  promotionChain,
  repoUrl,
  type SettingRef,
  slackChannels,
  stringValue,
} from '../lib/config/settings.ts';
import { type OidcRule, parseOidcRules } from '../lib/domain/oidc-rules.ts';

/**
 * An install's settings, from CDK context: cdk.json's `context` holds the defaults, `cdk deploy -c key=value`
 * overrides them. They are validated at `cdk synth` by the same parsers the functions run on the variables
 * the stack sets from them (lib/config/settings.ts), so a mistake stops the synth naming the context key
 * instead of surfacing as a Lambda that fails at its first cold start.
 */
export const CONTEXT_KEYS = [
  'gitopsRepoUrl',
  'gitopsBranch',
  'gitopsRepos',
  'slackChannels',
  'slackTemplates',
  'branchRestrictions',
  'promotionChain',
  'alarmEmail',
  'alarmTopicArn',
  'apiThrottleRate',
  'apiThrottleBurst',
  'reservedConcurrency',
  'fluxEventsConcurrency',
  'tracing',
  'oidcRules',
  'oidcAudience',
  'oidcIssuer',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** The example repository cdk.json names, so `cdk synth` works before an install is configured. */
export const PLACEHOLDER_REPO_URL = 'https://github.com/example/gitops.git';

/** `{ env, app?, branch }`: only artifacts built from a matching branch may be released there. */
export interface BranchRestrictionSetting {
  env: string;
  app?: string;
  branch: string;
}

export interface InstallConfig {
  gitops: GitopsConfig;
  /** Environment → Slack channel, `*` for every other environment. */
  slackChannels: Record<string, string>;
  /** Message template overrides by `<intent>.<state>`, `<state>` or `<intent>`. */
  slackTemplates: Record<string, string>;
  branchRestrictions: BranchRestrictionSetting[];
  /** Environments in promotion order; empty when the install has no chain. */
  promotionChain: string[];
  /** Where alarms go: a new topic with this e-mail subscribed, or an existing topic. Neither: no actions. */
  alarms: { email?: string; topicArn?: string };
  /** The API's default stage: steady requests per second and burst. */
  throttle: { rateLimit: number; burstLimit: number };
  /**
   * Reserved concurrency: the writer's 1 and the public flux-events URL's cap. `reserve: false` is for
   * accounts whose Lambda concurrency quota is too small to reserve anything (see RESERVED_MINIMUM).
   */
  concurrency: { reserve: boolean; fluxEvents: number };
  /** X-Ray active tracing on every function (Lambda's own segments; off by default: traces cost). */
  tracing: boolean;
  /** GitHub Actions OIDC exchange (FERRY_OIDC_*); absent: every exchange is refused. */
  oidc?: OidcSetting;
}

/** `oidcRules` (as FERRY_OIDC_RULES), the audience tokens must carry and, for GHES, the issuer. */
export interface OidcSetting {
  rules: OidcRule[];
  audience?: string;
  issuer?: string;
}

export const DEFAULT_CONFIG: InstallConfig = {
  gitops: { repoUrl: PLACEHOLDER_REPO_URL, branch: 'main' },
  slackChannels: {},
  slackTemplates: {},
  branchRestrictions: [],
  promotionChain: [],
  alarms: {},
  throttle: { rateLimit: 50, burstLimit: 100 },
  concurrency: { reserve: true, fluxEvents: 10 },
  tracing: false,
};

/** Fills in what an in-process caller (tests, benchmarks) left out, as if cdk.json had no setting. */
export function withDefaults(settings: Partial<InstallConfig> & { gitops: GitopsConfig }): InstallConfig {
  return {
    gitops: settings.gitops,
    slackChannels: settings.slackChannels ?? DEFAULT_CONFIG.slackChannels,
    slackTemplates: settings.slackTemplates ?? DEFAULT_CONFIG.slackTemplates,
    branchRestrictions: settings.branchRestrictions ?? DEFAULT_CONFIG.branchRestrictions,
    promotionChain: settings.promotionChain ?? DEFAULT_CONFIG.promotionChain,
    alarms: settings.alarms ?? DEFAULT_CONFIG.alarms,
    throttle: settings.throttle ?? DEFAULT_CONFIG.throttle,
    concurrency: settings.concurrency ?? DEFAULT_CONFIG.concurrency,
    tracing: settings.tracing ?? DEFAULT_CONFIG.tracing,
    ...(settings.oidc ? { oidc: settings.oidc } : {}),
  };
}

/**
 * Lambda allows 4 KB for all of a function's environment variables together; the install's settings get
 * most of it, and the names, ARNs and URLs the stack sets take the rest.
 */
export const SETTINGS_BUDGET_BYTES = 3072;

const at = (key: ContextKey): SettingRef => fromContext(key);

/** Reads and validates every setting; `context` is `app.node.tryGetContext`. */
export function readInstallConfig(context: (key: string) => unknown): InstallConfig {
  const value = (key: ContextKey) => {
    const raw = context(key);
    return raw === undefined || raw === null || raw === '' ? undefined : raw;
  };
  const { throttle, concurrency } = DEFAULT_CONFIG;
  const config: InstallConfig = {
    gitops: {
      repoUrl: repoUrl(at('gitopsRepoUrl'), value('gitopsRepoUrl') ?? DEFAULT_CONFIG.gitops.repoUrl, {
        https: true,
      }),
      branch: branchName(at('gitopsBranch'), value('gitopsBranch') ?? DEFAULT_CONFIG.gitops.branch),
    },
    slackChannels: slackChannels(at('slackChannels'), value('slackChannels')),
    slackTemplates: slackTemplates(at('slackTemplates'), value('slackTemplates')),
    branchRestrictions: installRestrictions(at('branchRestrictions'), value('branchRestrictions')).map(
      ({ env, app, branch }) => ({ env, ...(app !== undefined ? { app } : {}), branch }),
    ),
    promotionChain: promotionChain(at('promotionChain'), value('promotionChain')),
    alarms: alarmTarget(value('alarmEmail'), value('alarmTopicArn')),
    throttle: {
      rateLimit:
        positiveNumber(at('apiThrottleRate'), value('apiThrottleRate'), { max: 10_000 }) ??
        throttle.rateLimit,
      burstLimit:
        positiveNumber(at('apiThrottleBurst'), value('apiThrottleBurst'), { max: 5_000, integer: true }) ??
        throttle.burstLimit,
    },
    concurrency: {
      reserve: booleanValue(at('reservedConcurrency'), value('reservedConcurrency')) ?? concurrency.reserve,
      fluxEvents:
        positiveNumber(at('fluxEventsConcurrency'), value('fluxEventsConcurrency'), {
          max: 1000,
          integer: true,
        }) ?? concurrency.fluxEvents,
    },
    tracing: booleanValue(at('tracing'), value('tracing')) ?? DEFAULT_CONFIG.tracing,
  };
  const oidc = oidcSetting(value('oidcRules'), value('oidcAudience'), value('oidcIssuer'));
  if (oidc) config.oidc = oidc;
  withinBudget('oidcRules', [oidc ?? '', config.branchRestrictions, config.promotionChain]);
  const repos = gitopsRepos(config.gitops, value('gitopsRepos'));
  if (repos) config.gitops.repos = repos;
  withinBudget('gitopsRepos', [repos ?? '']);
  withinBudget('slackTemplates', [config.slackChannels, config.slackTemplates]);
  withinBudget('branchRestrictions', [config.branchRestrictions, config.promotionChain]);
  return config;
}

/**
 * More repositories by environment (FERRY_GITOPS_REPOS), as a JSON list or its text; checked here with the
 * same parser the functions use, so a mistake stops `cdk synth`.
 */
function gitopsRepos(gitops: GitopsConfig, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  try {
    gitopsReposOf({ ...gitops, repos: text });
  } catch (error) {
    fail(at('gitopsRepos'), (error as Error).message.replace(/^FERRY_GITOPS_REPOS: /, ''), error);
  }
  return JSON.stringify(JSON.parse(text));
}

/** How many repositories the install writes to: the writer's concurrency. */
export function repositoryCount(gitops: GitopsConfig): number {
  return gitopsReposOf(gitops).all().length;
}

/** The Secrets Manager ids of the extra repositories' tokens. */
export function repositoryTokenSecrets(gitops: GitopsConfig): string[] {
  const targets = gitopsReposOf(gitops).all();
  return [...new Set(targets.flatMap((t) => (t.tokenSecretId ? [t.tokenSecretId] : [])))];
}

/** Checked by the parser http-users runs at cold start; the issuer must be https (as GitHub's is). */
function oidcSetting(rules: unknown, audience: unknown, issuer: unknown): OidcSetting | undefined {
  const parsed = jsonValue(at('oidcRules'), rules ?? []);
  let checked: OidcRule[] = [];
  try {
    checked = parseOidcRules(JSON.stringify(parsed));
  } catch (error) {
    fail(at('oidcRules'), (error as Error).message, error);
  }
  if (audience !== undefined && (typeof audience !== 'string' || audience.length > 200)) {
    fail(at('oidcAudience'), 'must be a string of at most 200 characters');
  }
  if (issuer !== undefined && (typeof issuer !== 'string' || !/^https:\/\/[^\s/]+(\/\S*)?$/.test(issuer))) {
    fail(at('oidcIssuer'), `must be an https URL, got ${JSON.stringify(issuer)}`);
  }
  if (checked.length === 0) return undefined;
  return {
    rules: checked,
    ...(audience !== undefined ? { audience: audience as string } : {}),
    ...(issuer !== undefined ? { issuer: issuer as string } : {}),
  };
}

function alarmTarget(email: unknown, topicArn: unknown): InstallConfig['alarms'] {
  if (email !== undefined && topicArn !== undefined) {
    fail(at('alarmTopicArn'), 'set alarmEmail or alarmTopicArn, not both');
  }
  if (email !== undefined) {
    const address = stringValue(at('alarmEmail'), email);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
      fail(at('alarmEmail'), `"${address}" is not an e-mail address`);
    }
    return { email: address };
  }
  if (topicArn !== undefined) {
    const arn = stringValue(at('alarmTopicArn'), topicArn);
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(arn)) {
      fail(at('alarmTopicArn'), `"${arn}" is not an SNS topic ARN`);
    }
    return { topicArn: arn };
  }
  return {};
}

function withinBudget(key: ContextKey, values: unknown[]): void {
  const bytes = values.reduce<number>((sum, v) => sum + Buffer.byteLength(JSON.stringify(v)), 0);
  if (bytes > SETTINGS_BUDGET_BYTES) {
    fail(
      at(key),
      `these settings take ${bytes} bytes of a function's environment; Lambda allows 4 KB for all ` +
        `variables, so keep them under ${SETTINGS_BUDGET_BYTES} bytes`,
    );
  }
}
