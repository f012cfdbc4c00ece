import { gitopsRouting } from '../lib/compose/gitops-routing.ts';
import type { GitopsConfig } from '../lib/config/env.ts';
import { ENV_GITOPS_BRANCH, ENV_GITOPS_REPO_URL, publicRepoUrl } from '../lib/config/env.ts';
import { ENV_GITOPS_REPOS, loadGitopsRepos } from '../lib/config/gitops-repos.ts';
import { isDnsLabel } from '../lib/domain/names.ts';
import { makeMessageRenderer } from '../lib/domain/notify-templates.ts';
import { type OidcRule, parseOidcRules } from '../lib/domain/oidc-rules.ts';
import { parseInstallRestrictions, parsePromotionChain } from '../lib/domain/policy-rules.ts';

/**
 * An install's settings, from CDK context: cdk.json's `context` holds the defaults, `cdk deploy -c key=value`
 * overrides them. Everything is parsed and validated here, once, so a mistake stops `cdk synth` with the
 * key's name instead of surfacing as a Lambda that fails at its first cold start.
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

export class InstallConfigError extends Error {
  constructor(
    readonly key: ContextKey,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`context ${key}: ${problem}`, options);
    this.name = 'InstallConfigError';
  }
}

/** Reads and validates every setting; `context` is `app.node.tryGetContext`. */
export function readInstallConfig(context: (key: string) => unknown): InstallConfig {
  const value = (key: ContextKey) => {
    const raw = context(key);
    return raw === undefined || raw === null || raw === '' ? undefined : raw;
  };
  const { throttle, concurrency } = DEFAULT_CONFIG;
  const config: InstallConfig = {
    gitops: {
      repoUrl: repoUrl(value('gitopsRepoUrl') ?? DEFAULT_CONFIG.gitops.repoUrl),
      branch: branchName(value('gitopsBranch') ?? DEFAULT_CONFIG.gitops.branch),
    },
    slackChannels: slackChannels(value('slackChannels')),
    slackTemplates: slackTemplates(value('slackTemplates')),
    branchRestrictions: branchRestrictions(value('branchRestrictions')),
    promotionChain: promotionChain(value('promotionChain')),
    alarms: alarmTarget(value('alarmEmail'), value('alarmTopicArn')),
    throttle: {
      rateLimit:
        positiveNumber('apiThrottleRate', value('apiThrottleRate'), { max: 10_000 }) ?? throttle.rateLimit,
      burstLimit:
        positiveNumber('apiThrottleBurst', value('apiThrottleBurst'), { max: 5_000, integer: true }) ??
        throttle.burstLimit,
    },
    concurrency: {
      reserve: booleanValue('reservedConcurrency', value('reservedConcurrency')) ?? concurrency.reserve,
      fluxEvents:
        positiveNumber('fluxEventsConcurrency', value('fluxEventsConcurrency'), {
          max: 1000,
          integer: true,
        }) ?? concurrency.fluxEvents,
    },
    tracing: booleanValue('tracing', value('tracing')) ?? DEFAULT_CONFIG.tracing,
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
    const repos = loadGitopsRepos({
      [ENV_GITOPS_REPO_URL]: gitops.repoUrl,
      [ENV_GITOPS_BRANCH]: gitops.branch,
      [ENV_GITOPS_REPOS]: text,
    });
    gitopsRouting(repos, () => {
      throw new Error('not opened at synth');
    });
  } catch (error) {
    throw new InstallConfigError('gitopsRepos', (error as Error).message, { cause: error });
  }
  return JSON.stringify(JSON.parse(text));
}

/** How many repositories the install writes to: the writer's concurrency. */
export function repositoryCount(gitops: GitopsConfig): number {
  if (!gitops.repos) return 1;
  return loadGitopsRepos({
    [ENV_GITOPS_REPO_URL]: gitops.repoUrl,
    [ENV_GITOPS_BRANCH]: gitops.branch,
    [ENV_GITOPS_REPOS]: gitops.repos,
  }).all().length;
}

/** The Secrets Manager ids of the extra repositories' tokens. */
export function repositoryTokenSecrets(gitops: GitopsConfig): string[] {
  if (!gitops.repos) return [];
  const repos = loadGitopsRepos({
    [ENV_GITOPS_REPO_URL]: gitops.repoUrl,
    [ENV_GITOPS_BRANCH]: gitops.branch,
    [ENV_GITOPS_REPOS]: gitops.repos,
  });
  return [...new Set(repos.all().flatMap((t) => (t.tokenSecretId ? [t.tokenSecretId] : [])))];
}

function repoUrl(raw: unknown): string {
  const text = stringValue('gitopsRepoUrl', raw);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InstallConfigError('gitopsRepoUrl', `"${text}" is not an absolute URL`);
  }
  // The writer sends the git token with every request: over plain HTTP anyone on the path could read it.
  if (url.protocol !== 'https:') {
    throw new InstallConfigError('gitopsRepoUrl', 'must be an https:// URL (the writer pushes over HTTPS)');
  }
  if (publicRepoUrl(text) !== text) {
    throw new InstallConfigError(
      'gitopsRepoUrl',
      'must not carry credentials; put the token in the git token secret',
    );
  }
  return text;
}

/** The rules of `git check-ref-format` that a typo can break. */
function branchName(raw: unknown): string {
  const text = stringValue('gitopsBranch', raw);
  const bad =
    !/^[A-Za-z0-9._/-]+$/.test(text) ||
    /^[-/.]|[/.]$|\.\.|\/\/|\.lock$/.test(text) ||
    text.split('/').some((part) => part.startsWith('.'));
  if (bad) throw new InstallConfigError('gitopsBranch', `"${text}" is not a valid branch name`);
  return text;
}

function slackChannels(raw: unknown): Record<string, string> {
  const channels = stringMap('slackChannels', raw);
  for (const [env, channel] of Object.entries(channels)) {
    if (env !== '*' && !isDnsLabel(env)) {
      throw new InstallConfigError(
        'slackChannels',
        `"${env}" is not an environment name (a DNS label) or "*" (the default)`,
      );
    }
    if (!/^#?[A-Za-z0-9._-]{1,80}$/.test(channel)) {
      throw new InstallConfigError(
        'slackChannels',
        `"${env}": "${channel}" is not a Slack channel name or id`,
      );
    }
  }
  return channels;
}

/** Compiled here as the notifier compiles them, so a broken template fails the deploy, not a cold start. */
function slackTemplates(raw: unknown): Record<string, string> {
  const templates = stringMap('slackTemplates', raw);
  try {
    makeMessageRenderer(templates);
  } catch (error) {
    throw new InstallConfigError('slackTemplates', (error as Error).message, { cause: error });
  }
  return templates;
}

/** Checked by the parser the API functions run at cold start, so what passes here starts there. */
function branchRestrictions(raw: unknown): BranchRestrictionSetting[] {
  const parsed = jsonValue('branchRestrictions', raw ?? []);
  try {
    return parseInstallRestrictions(JSON.stringify(parsed)).map(({ env, app, branch }) => ({
      env,
      ...(app !== undefined ? { app } : {}),
      branch,
    }));
  } catch (error) {
    throw new InstallConfigError('branchRestrictions', (error as Error).message, { cause: error });
  }
}

/** Checked by the parser http-users runs at cold start; the issuer must be https (as GitHub's is). */
function oidcSetting(rules: unknown, audience: unknown, issuer: unknown): OidcSetting | undefined {
  const parsed = jsonValue('oidcRules', rules ?? []);
  let checked: OidcRule[];
  try {
    checked = parseOidcRules(JSON.stringify(parsed));
  } catch (error) {
    throw new InstallConfigError('oidcRules', (error as Error).message, { cause: error });
  }
  if (audience !== undefined && (typeof audience !== 'string' || audience.length > 200)) {
    throw new InstallConfigError('oidcAudience', 'must be a string of at most 200 characters');
  }
  if (issuer !== undefined && (typeof issuer !== 'string' || !/^https:\/\/[^\s/]+(\/\S*)?$/.test(issuer))) {
    throw new InstallConfigError('oidcIssuer', `must be an https URL, got ${JSON.stringify(issuer)}`);
  }
  if (checked.length === 0) return undefined;
  return {
    rules: checked,
    ...(audience !== undefined ? { audience: audience as string } : {}),
    ...(issuer !== undefined ? { issuer: issuer as string } : {}),
  };
}

/** A JSON array, or the comma list `dev,staging,production` that is easier to type after `-c`. */
function promotionChain(raw: unknown): string[] {
  let list: unknown = raw ?? [];
  if (typeof list === 'string') {
    list = list.trim().startsWith('[') ? jsonValue('promotionChain', list) : list.split(',');
  }
  if (!Array.isArray(list) || list.some((env) => typeof env !== 'string' || env.includes(','))) {
    throw new InstallConfigError(
      'promotionChain',
      'must be a list of environments: "dev,staging,production"',
    );
  }
  try {
    return parsePromotionChain(list.join(','));
  } catch (error) {
    throw new InstallConfigError('promotionChain', (error as Error).message, { cause: error });
  }
}

function alarmTarget(email: unknown, topicArn: unknown): InstallConfig['alarms'] {
  if (email !== undefined && topicArn !== undefined) {
    throw new InstallConfigError('alarmTopicArn', 'set alarmEmail or alarmTopicArn, not both');
  }
  if (email !== undefined) {
    const address = stringValue('alarmEmail', email);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
      throw new InstallConfigError('alarmEmail', `"${address}" is not an e-mail address`);
    }
    return { email: address };
  }
  if (topicArn !== undefined) {
    const arn = stringValue('alarmTopicArn', topicArn);
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(arn)) {
      throw new InstallConfigError('alarmTopicArn', `"${arn}" is not an SNS topic ARN`);
    }
    return { topicArn: arn };
  }
  return {};
}

function positiveNumber(
  key: ContextKey,
  raw: unknown,
  limits: { max: number; integer?: boolean },
): number | undefined {
  if (raw === undefined) return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0 || n > limits.max || (limits.integer && !Number.isInteger(n))) {
    const kind = limits.integer ? 'a whole number' : 'a number';
    throw new InstallConfigError(
      key,
      `${JSON.stringify(raw)} must be ${kind} above 0 and at most ${limits.max}`,
    );
  }
  return n;
}

/** cdk.json may hold `false`; `-c reservedConcurrency=false` arrives as the string. */
function booleanValue(key: ContextKey, raw: unknown): boolean | undefined {
  if (raw === undefined || typeof raw === 'boolean') return raw;
  const text = String(raw).trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new InstallConfigError(key, `${JSON.stringify(raw)} must be true or false`);
}

function stringValue(key: ContextKey, raw: unknown): string {
  if (typeof raw !== 'string')
    throw new InstallConfigError(key, `must be a string, not ${JSON.stringify(raw)}`);
  return raw.trim();
}

/** `-c key=...` always arrives as a string; cdk.json may hold the JSON value itself. */
function jsonValue(key: ContextKey, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new InstallConfigError(key, `is not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

function stringMap(key: ContextKey, raw: unknown): Record<string, string> {
  const parsed = jsonValue(key, raw ?? {});
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InstallConfigError(key, 'must be a JSON object whose values are strings');
  }
  const wrong = Object.entries(parsed).find(([, v]) => typeof v !== 'string');
  if (wrong) throw new InstallConfigError(key, `"${wrong[0]}" must be a string`);
  return parsed as Record<string, string>;
}

function withinBudget(key: ContextKey, values: unknown[]): void {
  const bytes = values.reduce<number>((sum, v) => sum + Buffer.byteLength(JSON.stringify(v)), 0);
  if (bytes > SETTINGS_BUDGET_BYTES) {
    throw new InstallConfigError(
      key,
      `these settings take ${bytes} bytes of a function's environment; Lambda allows 4 KB for all ` +
        `variables, so keep them under ${SETTINGS_BUDGET_BYTES} bytes`,
    );
  }
}
