import { ConfigError, FerryError } from '../domain/errors.ts';
import { isDnsLabel } from '../domain/names.ts';
import {
  type BranchRestrictionRule,
  parseInstallRestrictions,
  parsePromotionChain,
} from '../domain/policy-rules.ts';

/**
 * The one validation of Ferry's settings, whichever door they come in by: an environment variable (Lambda,
 * the local stack; lib/config/env.ts) or a CDK context key (cdk/config.ts). Each parser takes the raw value
 * and where it came from, and fails with a ConfigError naming that variable or key.
 */
export interface SettingRef {
  name: string;
  source: 'environment' | 'context';
}

export const fromEnv = (name: string): SettingRef => ({ name, source: 'environment' });
export const fromContext = (name: string): SettingRef => ({ name, source: 'context' });

export function fail(at: SettingRef, problem: string, cause?: unknown): never {
  throw new ConfigError(at.name, problem, { source: at.source, ...(cause === undefined ? {} : { cause }) });
}

/** Runs a domain parser, turning its ValidationError into a ConfigError naming the setting. */
export function named<T>(at: SettingRef, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof FerryError && !(error instanceof ConfigError)) fail(at, error.message, error);
    throw error;
  }
}

export function stringValue(at: SettingRef, raw: unknown): string {
  if (typeof raw !== 'string') fail(at, `must be a string, not ${JSON.stringify(raw)}`);
  return raw.trim();
}

/** `-c key=...` and environment variables always arrive as strings; cdk.json may hold the JSON value itself. */
export function jsonValue(at: SettingRef, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch (error) {
    return fail(at, `is not valid JSON (${(error as Error).message})`, error);
  }
}

export function stringMap(at: SettingRef, raw: unknown): Record<string, string> {
  const parsed = jsonValue(at, raw ?? {});
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail(at, 'must be a JSON object whose values are strings');
  }
  const wrong = Object.entries(parsed).find(([, v]) => typeof v !== 'string');
  if (wrong) fail(at, `"${wrong[0]}" must be a string`);
  return parsed as Record<string, string>;
}

/** Environment → Slack channel, `*` for every other environment. */
export function slackChannels(at: SettingRef, raw: unknown): Record<string, string> {
  const channels = stringMap(at, raw);
  for (const [env, channel] of Object.entries(channels)) {
    if (env !== '*' && !isDnsLabel(env)) {
      fail(at, `"${env}" is not an environment name (a DNS label) or "*" (the default)`);
    }
    if (!/^#?[A-Za-z0-9._-]{1,80}$/.test(channel)) {
      fail(at, `"${env}": "${channel}" is not a Slack channel name or id`);
    }
  }
  return channels;
}

/** JSON `[{ "env": "production", "app"?: "web", "branch": "^main$" }]`, by the parser the API runs. */
export function installRestrictions(at: SettingRef, raw: unknown): BranchRestrictionRule[] {
  const parsed = jsonValue(at, raw ?? []);
  return named(at, () => parseInstallRestrictions(JSON.stringify(parsed)));
}

/** A JSON array, or the comma list `dev,staging,production` that is easier to type. */
export function promotionChain(at: SettingRef, raw: unknown): string[] {
  let list: unknown = raw ?? [];
  if (typeof list === 'string') list = list.trim().startsWith('[') ? jsonValue(at, list) : list.split(',');
  if (!Array.isArray(list) || list.some((env) => typeof env !== 'string' || env.includes(','))) {
    fail(at, 'must be a list of environments: "dev,staging,production"');
  }
  return named(at, () => parsePromotionChain(list.join(',')));
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

/**
 * A gitops repository URL: absolute, without credentials (the token lives in a secret), and, where the
 * writer pushes over the internet (`https` required by CDK), never plain HTTP that would expose the token.
 */
export function repoUrl(at: SettingRef, raw: unknown, options: { https?: boolean } = {}): string {
  const text = stringValue(at, raw);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(at, `"${text}" is not an absolute URL`);
  }
  if (options.https && url.protocol !== 'https:') {
    fail(at, 'must be an https:// URL (the writer pushes over HTTPS)');
  }
  if (publicRepoUrl(text) !== text) {
    fail(at, 'must not carry credentials; put the token in the git token secret');
  }
  return text;
}

/** The rules of `git check-ref-format` that a typo can break. */
export function branchName(at: SettingRef, raw: unknown): string {
  const text = stringValue(at, raw);
  const bad =
    !/^[A-Za-z0-9._/-]+$/.test(text) ||
    /^[-/.]|[/.]$|\.\.|\/\/|\.lock$/.test(text) ||
    text.split('/').some((part) => part.startsWith('.'));
  if (bad) fail(at, `"${text}" is not a valid branch name`);
  return text;
}

export function positiveNumber(
  at: SettingRef,
  raw: unknown,
  limits: { max: number; integer?: boolean },
): number | undefined {
  if (raw === undefined) return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0 || n > limits.max || (limits.integer && !Number.isInteger(n))) {
    const kind = limits.integer ? 'a whole number' : 'a number';
    fail(at, `${JSON.stringify(raw)} must be ${kind} above 0 and at most ${limits.max}`);
  }
  return n;
}

/** A TCP port, 0 for "any free one". */
export function portNumber(at: SettingRef, raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(at, `must be a port number, got ${String(raw)}`);
  return n;
}

/** cdk.json may hold `false`; `-c reservedConcurrency=false` arrives as the string. */
export function booleanValue(at: SettingRef, raw: unknown): boolean | undefined {
  if (raw === undefined || typeof raw === 'boolean') return raw;
  const text = String(raw).trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  return fail(at, `${JSON.stringify(raw)} must be true or false`);
}
