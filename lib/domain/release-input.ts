import { isSha } from './artifact.ts';
import { isDnsLabel } from './names.ts';
import { type QueryParams, rejectUnknown, single } from './query.ts';
import { invalid, knownFields, optionalString, readObject, rfc3339 } from './validate.ts';

/** Parsers for the release endpoints' inputs. Every failure names the field (DESIGN.md §3). */

export interface DeployInput {
  env: string;
  app?: string;
  /** Absent for a promotion, which releases what `fromEnv` runs. */
  artifactId?: string;
  /** Promotion: release the artifact `<fromEnv>/<app>` runs; `previous` takes the install's promotion chain. */
  fromEnv?: string;
}

export function parseDeploy(body: unknown): DeployInput {
  // Gimlet's CLI sends `triggeredBy`; like GimletD, the caller's login replaces it.
  const f = knownFields(readObject(body, ''), '', [
    'env',
    'app',
    'artifactId',
    'triggeredBy',
    'fromEnv',
  ] as const);
  const env = optionalString(f.env, 'env');
  if (env === undefined) invalid('env', 'is required');
  const artifactId = optionalString(f.artifactId, 'artifactId', 300);
  const fromEnv = optionalString(f.fromEnv, 'fromEnv');
  if (artifactId === undefined && fromEnv === undefined)
    invalid('artifactId', 'is required (or fromEnv, to promote)');
  if (artifactId !== undefined && fromEnv !== undefined) {
    invalid('fromEnv', 'promotes what another environment runs; give it or artifactId, not both');
  }
  const app = optionalString(f.app, 'app');
  const input: DeployInput = { env: label(env, 'env') };
  if (artifactId !== undefined) input.artifactId = artifactId;
  if (app !== undefined) input.app = label(app, 'app');
  if (fromEnv !== undefined) {
    if (input.app === undefined) invalid('app', 'is required to promote');
    input.fromEnv = fromEnv === 'previous' ? fromEnv : label(fromEnv, 'fromEnv');
    if (input.fromEnv === input.env) invalid('fromEnv', 'must differ from env');
  }
  return input;
}

export interface TargetInput {
  env: string;
  app: string;
}

export interface RollbackInput extends TargetInput {
  sha: string;
}

export function parseTarget(fields: Record<string, unknown>): TargetInput {
  const f = knownFields(fields, '', ['env', 'app'] as const);
  return { env: requiredLabel(f.env, 'env'), app: requiredLabel(f.app, 'app') };
}

export function parseRollback(fields: Record<string, unknown>): RollbackInput {
  const f = knownFields(fields, '', ['env', 'app', 'sha'] as const);
  const sha = optionalString(f.sha, 'sha', 64)?.toLowerCase();
  if (sha === undefined) invalid('sha', 'is required: the gitops commit to go back to');
  if (!isSha(sha) || sha.length !== 40) {
    invalid('sha', `must be a full 40-character gitops commit sha, got "${sha}"`);
  }
  return { env: requiredLabel(f.env, 'env'), app: requiredLabel(f.app, 'app'), sha };
}

export interface HistoryInput {
  env: string;
  app?: string;
  since?: Date;
  until?: Date;
  /** -1: no limit (Gimlet's convention). */
  limit: number;
  offset: number;
  gitRepo?: string;
}

const HISTORY_PARAMS = ['env', 'app', 'limit', 'offset', 'since', 'until', 'git-repo', 'access_token'];
export const MAX_HISTORY = 1000;

export function parseHistoryQuery(params: QueryParams): HistoryInput {
  rejectUnknown(params, HISTORY_PARAMS);
  const input: HistoryInput = {
    env: requiredLabel(single(params, 'env'), 'env'),
    limit: integer(single(params, 'limit'), 'limit', -1, MAX_HISTORY) ?? 10,
    offset: integer(single(params, 'offset'), 'offset', 0, MAX_HISTORY) ?? 0,
  };
  const app = single(params, 'app');
  if (app !== undefined) input.app = label(app, 'app');
  const since = single(params, 'since');
  const until = single(params, 'until');
  if (since !== undefined) input.since = new Date(rfc3339(since, 'since'));
  if (until !== undefined) input.until = new Date(rfc3339(until, 'until'));
  if (input.since && input.until && input.since >= input.until) invalid('until', 'must be after since');
  const gitRepo = single(params, 'git-repo');
  if (gitRepo !== undefined) input.gitRepo = gitRepo;
  return input;
}

export const MAX_RECENT = 200;

/** `GET /api/requests`: how many of the newest requests (default 50). */
export function parseRecentQuery(params: QueryParams): { limit: number } {
  rejectUnknown(params, ['limit', 'access_token']);
  return { limit: integer(single(params, 'limit'), 'limit', 1, MAX_RECENT) ?? 50 };
}

export function parseStatusQuery(params: QueryParams): { env: string; app?: string } {
  rejectUnknown(params, ['env', 'app', 'access_token']);
  const env = requiredLabel(single(params, 'env'), 'env');
  const app = single(params, 'app');
  return app === undefined ? { env } : { env, app: label(app, 'app') };
}

export function requiredLabel(value: unknown, path: string): string {
  const s = optionalString(value, path);
  if (s === undefined) invalid(path, 'is required');
  return label(s, path);
}

function label(value: string, path: string): string {
  if (!isDnsLabel(value)) {
    invalid(
      path,
      `must be a DNS-1123 label (lower-case letters, digits and '-', at most 63), got "${value}"`,
    );
  }
  return value;
}

function integer(value: string | undefined, path: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    invalid(path, `must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}
