import { isSha } from './git-refs.ts';
import { isDnsLabel } from './names.ts';
import { type QueryParams, single } from './query.ts';
import { checkQuery, nullable, object, type QuerySpec, readFields } from './schema.ts';
import { invalid, optionalString, rfc3339, unsupported } from './validate.ts';

/** Parsers for the release endpoints' inputs. Every failure names the field (DESIGN.md §3). */

export interface DeployInput {
  env: string;
  app?: string;
  /** Absent for a promotion, which releases what `fromEnv` runs. */
  artifactId?: string;
  /** Promotion: release the artifact `<fromEnv>/<app>` runs; `previous` takes the install's promotion chain. */
  fromEnv?: string;
}

const LABEL = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' } as const;
const TIME = { type: 'string', format: 'date-time' } as const;

/** `POST /api/releases` (Gimlet's `dx.ReleaseRequest`, plus promotion). */
export const DEPLOY_SCHEMA = object(
  {
    env: { ...LABEL, description: 'environment to release to' },
    app: nullable({
      ...LABEL,
      description: 'one app of the artifact (all of its manifests for env if absent)',
    }),
    artifactId: nullable({ type: 'string', maxLength: 300, description: 'artifact to release' }),
    fromEnv: nullable({
      type: 'string',
      description: 'promote what this environment runs (`previous`: the one before env in the chain)',
    }),
    // Gimlet's CLI sends `triggeredBy`; like GimletD, the caller's login replaces it.
    triggeredBy: nullable({ type: 'string', description: 'ignored: the caller is recorded' }),
    // cli-v0.22.0 to cli-v0.27.0 marshal `dx.ReleaseRequest.Tenant` without omitempty: always `"tenant":""`.
    tenant: nullable({ type: 'string', maxLength: 0, description: 'must be empty: Ferry has no tenants' }),
  },
  { required: ['env'], description: 'artifactId or fromEnv' },
);

export const DEPLOY_QUERY: QuerySpec = {
  dryRun: {
    description: 'true: answer with the diff, write nothing',
    schema: { type: 'string', enum: ['true', 'false'] },
  },
};

/** `POST /api/delete`, `POST /api/resume`: query string (GimletD) or JSON body. */
export const TARGET_SCHEMA = object(
  { env: { ...LABEL, description: 'environment' }, app: { ...LABEL, description: 'app' } },
  { required: ['env', 'app'] },
);

/** `POST /api/rollback`: query string (GimletD) or JSON body. */
export const ROLLBACK_SCHEMA = object(
  {
    env: { ...LABEL, description: 'environment' },
    app: { ...LABEL, description: 'app' },
    sha: {
      type: 'string',
      pattern: '^[0-9a-fA-F]{40}$',
      description: 'full gitops commit sha to go back to',
    },
  },
  { required: ['env', 'app', 'sha'] },
);

/** `POST /api/environments/{env}/init`: where the environment's Flux reports to. */
export const ENV_INIT_SCHEMA = object({
  url: nullable({ type: 'string', maxLength: 2048, description: 'events URL (default: this install’s)' }),
  kustomization: nullable({ type: 'string', description: 'Flux Kustomization that applies <env>/' }),
  namespace: nullable({ type: 'string', description: 'namespace of the Kustomization' }),
  secretName: nullable({ type: 'string', description: 'Secret holding the HMAC key' }),
  source: nullable({
    type: 'string',
    description:
      'an existing GitRepository to read from (e.g. flux-system after flux bootstrap); no sync.yaml then',
  }),
  repoUrl: nullable({
    type: 'string',
    maxLength: 2048,
    description: 'gitops repository URL for the GitRepository',
  }),
  branch: nullable({ type: 'string', description: 'gitops branch (default: Ferry’s)' }),
  gitSecret: nullable({ type: 'string', description: 'Secret with the GitRepository’s read credentials' }),
});

export function parseDeploy(body: unknown): DeployInput {
  const f = readFields<'env' | 'app' | 'artifactId' | 'fromEnv' | 'triggeredBy' | 'tenant'>(
    DEPLOY_SCHEMA,
    body,
    '',
  );
  unsupported(optionalString(f.tenant, 'tenant'), 'tenant', 'Ferry has no tenants');
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
  const f = readFields<'env' | 'app'>(TARGET_SCHEMA, fields, '');
  return { env: requiredLabel(f.env, 'env'), app: requiredLabel(f.app, 'app') };
}

export function parseRollback(fields: Record<string, unknown>): RollbackInput {
  const f = readFields<'env' | 'app' | 'sha'>(ROLLBACK_SCHEMA, fields, '');
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

export const MAX_HISTORY = 1000;

/** `GET /api/releases` (GimletD's parameters; `until` and `offset` now apply). */
export const HISTORY_QUERY: QuerySpec = {
  env: { description: 'environment', schema: LABEL, required: true },
  app: { description: 'one app (its rollbacks and deletes are listed too)', schema: LABEL },
  limit: {
    description: 'entries (default 10; -1: all)',
    schema: { type: 'integer', minimum: -1, maximum: MAX_HISTORY },
  },
  offset: { description: 'entries to skip', schema: { type: 'integer', minimum: 0, maximum: MAX_HISTORY } },
  since: { description: 'committed at or after (RFC 3339)', schema: TIME },
  until: { description: 'committed before (RFC 3339)', schema: TIME },
  'git-repo': { description: 'only releases of artifacts from this owner/repo', schema: { type: 'string' } },
};

/** `GET /api/status`. */
export const STATUS_QUERY: QuerySpec = {
  env: { description: 'environment', schema: LABEL, required: true },
  app: { description: 'one app (null when it is not deployed)', schema: LABEL },
};

/** `GET /api/eventReleaseTrack` and `GET /api/eventArtifactTrack`. */
export const RELEASE_TRACK_QUERY: QuerySpec = {
  id: { description: 'release request id', schema: { type: 'string' }, required: true },
};
export const ARTIFACT_TRACK_QUERY: QuerySpec = {
  artifactId: { description: 'artifact id', schema: { type: 'string' }, required: true },
};

export function parseHistoryQuery(params: QueryParams): HistoryInput {
  checkQuery(params, HISTORY_QUERY);
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
export const RECENT_QUERY: QuerySpec = {
  limit: {
    description: `how many of the newest requests (1–${MAX_RECENT}, default 50)`,
    schema: { type: 'integer' },
  },
};

export function parseRecentQuery(params: QueryParams): { limit: number } {
  checkQuery(params, RECENT_QUERY);
  return { limit: integer(single(params, 'limit'), 'limit', 1, MAX_RECENT) ?? 50 };
}

export function parseStatusQuery(params: QueryParams): { env: string; app?: string } {
  checkQuery(params, STATUS_QUERY);
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
