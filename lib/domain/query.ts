import { GIT_EVENTS, type GitEvent, isSha } from './git-refs.ts';
import { checkQuery, type QuerySpec } from './schema.ts';
import { invalid, oneOf, rfc3339 } from './validate.ts';

/** Query string as API Gateway hands it over: every parameter may repeat. */
export type QueryParams = Record<string, string[]>;

export interface ArtifactQuery {
  repository?: string;
  branch?: string;
  event?: GitEvent;
  sourceBranch?: string;
  shas?: string[];
  /** Epoch milliseconds, inclusive. */
  since?: number;
  /** Epoch milliseconds, exclusive. */
  until?: number;
  limit: number;
  offset: number;
}

export const MAX_LIMIT = 100;
export const MAX_OFFSET = 10_000;
const MAX_SHAS = 50;
const TIME = { type: 'string', format: 'date-time' } as const;

/** `GET /api/artifacts` (read by parseArtifactQuery and by the OpenAPI document). */
export const ARTIFACT_QUERY: QuerySpec = {
  repository: { description: 'owner/repo', schema: { type: 'string' } },
  branch: { description: 'branch the artifact was built from', schema: { type: 'string' } },
  event: { description: 'git event', schema: { type: 'string', enum: GIT_EVENTS } },
  sourceBranch: { description: 'pull request source branch', schema: { type: 'string' } },
  sha: {
    description: `commit sha (repeatable, at most ${MAX_SHAS})`,
    schema: { type: 'string', pattern: '^[0-9a-fA-F]{7,64}$' },
    repeatable: true,
  },
  since: { description: 'received at or after (RFC 3339)', schema: TIME },
  until: { description: 'received before (RFC 3339)', schema: TIME },
  limit: {
    description: 'page size (default 10)',
    schema: { type: 'integer', minimum: 0, maximum: MAX_LIMIT },
  },
  offset: { description: 'artifacts to skip', schema: { type: 'integer', minimum: 0, maximum: MAX_OFFSET } },
};

/**
 * Reads `GET /api/artifacts` parameters the way the gimlet CLI sends them. Unknown parameters are refused
 * (GimletD ignored `repo=`, returning every repository's artifacts); an empty value means "not set".
 */
export function parseArtifactQuery(params: QueryParams): ArtifactQuery {
  checkQuery(params, ARTIFACT_QUERY);
  const query: ArtifactQuery = {
    limit: integer(params, 'limit', 0, MAX_LIMIT) || 10,
    offset: integer(params, 'offset', 0, MAX_OFFSET),
  };
  for (const key of ['repository', 'branch', 'sourceBranch'] as const) {
    const value = single(params, key);
    if (value !== undefined) query[key] = value;
  }
  const event = single(params, 'event');
  if (event !== undefined) query.event = oneOf(event, 'event', GIT_EVENTS);
  const shas = (params.sha ?? []).filter((s) => s !== '').map((s) => s.toLowerCase());
  if (shas.length > MAX_SHAS) invalid('sha', `at most ${MAX_SHAS} values`);
  for (const sha of shas) if (!isSha(sha)) invalid('sha', `"${sha}" is not a git commit sha`);
  if (shas.length > 0) query.shas = [...new Set(shas)];
  const since = timestamp(params, 'since');
  const until = timestamp(params, 'until');
  if (since !== undefined) query.since = since;
  if (until !== undefined) query.until = until;
  if (since !== undefined && until !== undefined && since >= until) invalid('until', 'must be after since');
  return query;
}

export function rejectUnknown(params: QueryParams, known: readonly string[]): void {
  for (const key of Object.keys(params)) {
    if (!known.includes(key)) invalid(key, `unknown query parameter (expected one of ${known.join(', ')})`);
  }
}

export function single(params: QueryParams, key: string): string | undefined {
  const values = params[key] ?? [];
  if (values.length > 1) invalid(key, 'may be given once');
  const [value] = values;
  return value === undefined || value === '' ? undefined : value;
}

function integer(params: QueryParams, key: string, min: number, max: number): number {
  const value = single(params, key);
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    invalid(key, `must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

function timestamp(params: QueryParams, key: string): number | undefined {
  const value = single(params, key);
  return value === undefined ? undefined : rfc3339(value, key);
}
