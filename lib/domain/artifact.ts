import { GIT_EVENTS, type GitEvent, isSha } from './git-refs.ts';
import { MANIFEST_SCHEMA, type Manifest, parseManifest } from './manifest.ts';
import { hasTemplate, isRepositoryName } from './names.ts';
import { resolveVars } from './render/vars.ts';
import { type JsonSchema, nullable, object, readFields } from './schema.ts';
import {
  compact,
  invalid,
  type JsonObject,
  join,
  oneOf,
  optionalArray,
  optionalBoolean,
  optionalInteger,
  optionalString,
  optionalStringMap,
  readObject,
  requiredString,
} from './validate.ts';

/** The commit an artifact was built from, as Gimlet's shippers describe it. */
export interface Version {
  repositoryName: string;
  sha: string;
  created?: number;
  branch?: string;
  event: GitEvent;
  sourceBranch?: string;
  targetBranch?: string;
  tag?: string;
  authorName?: string;
  authorEmail?: string;
  committerName?: string;
  committerEmail?: string;
  message?: string;
  url?: string;
}

export interface ArtifactInput {
  version: Version;
  context: Record<string, string>;
  vars: Record<string, string>;
  items: JsonObject[];
  environments: Manifest[];
}

/** A stored artifact: `id` and `created` (unix seconds) are set by the server, never the client. */
export interface Artifact extends ArtifactInput {
  id: string;
  created: number;
}

const VERSION_STRINGS = [
  'branch',
  'sourceBranch',
  'targetBranch',
  'tag',
  'authorName',
  'authorEmail',
  'committerName',
  'committerEmail',
  'message',
  'url',
] as const;

const optional = (description: string, maxLength = 1024): JsonSchema =>
  nullable({ type: 'string', description, maxLength });

export const VERSION_SCHEMA = object(
  {
    repositoryName: { type: 'string', description: 'owner/repo', maxLength: 200 },
    sha: {
      type: 'string',
      description: 'git commit sha (7 to 64 hex characters)',
      pattern: '^[0-9a-fA-F]{7,64}$',
    },
    created: nullable({ type: 'integer', description: 'commit time, unix seconds' }),
    event: nullable({ type: 'string', enum: [...GIT_EVENTS, ''], description: 'absent means push' }),
    branch: optional('branch'),
    sourceBranch: optional('pull request source branch'),
    targetBranch: optional('pull request target branch'),
    tag: optional('tag'),
    authorName: optional('author'),
    authorEmail: optional('author email'),
    committerName: optional('committer'),
    committerEmail: optional('committer email'),
    message: optional('commit message', 65536),
    url: optional('link to the commit or pull request'),
  },
  { required: ['repositoryName', 'sha'], description: 'the commit the artifact was built from' },
);

/** `POST /api/artifact`: Gimlet's release artifact. */
export const ARTIFACT_SCHEMA = object(
  {
    id: nullable({ type: 'string', description: 'ignored: set by the server' }),
    created: nullable({ type: 'integer', description: 'ignored: set by the server' }),
    version: VERSION_SCHEMA,
    context: nullable({ type: 'object', additionalProperties: { type: 'string' } }),
    vars: nullable({ type: 'object', additionalProperties: { type: 'string' } }),
    items: nullable({ type: 'array', items: { type: 'object' } }),
    environments: nullable({ type: 'array', items: MANIFEST_SCHEMA }),
    cueEnvironments: nullable({ type: 'array', maxItems: 0, description: 'not supported' }),
    fake: nullable({ type: 'boolean', enum: [false, null], description: 'not supported when true' }),
  },
  { required: ['version'] },
);

/**
 * Validates an artifact at the door. `id` and `created` may be present (the CLI round-trips them) but are
 * ignored: the server assigns both. CUE environments are refused rather than silently dropped.
 */
type ArtifactField = keyof Artifact | 'cueEnvironments' | 'fake';

export function parseArtifact(raw: unknown): ArtifactInput {
  // `fake`: cli-v0.25.0+ `dx.Artifact.Fake` (set only by Gimlet's dashboard deploy link; omitempty drops false).
  const f = readFields<ArtifactField>(ARTIFACT_SCHEMA, raw, '');
  if (optionalBoolean(f.fake, 'fake')) invalid('fake', 'is not supported: ship real artifacts from CI');
  const cue = optionalArray(f.cueEnvironments, 'cueEnvironments');
  if (cue && cue.length > 0) {
    invalid('cueEnvironments', 'CUE environments are not supported; render them to environments in CI');
  }
  const environments = (optionalArray(f.environments, 'environments') ?? []).map((m, i) =>
    parseManifest(m, join('environments', i)),
  );
  rejectDuplicateTargets(environments);
  const artifact: ArtifactInput = {
    version: parseVersion(f.version),
    context: optionalStringMap(f.context, 'context') ?? {},
    vars: optionalStringMap(f.vars, 'vars') ?? {},
    items: (optionalArray(f.items, 'items') ?? []).map((item, i) => readObject(item, join('items', i))),
    environments,
  };
  // Templates inside the variables depend on nothing but the artifact: one that does not resolve is a 400 now.
  resolveVars(artifact);
  return artifact;
}

function parseVersion(value: unknown): Version {
  if (value === undefined || value === null) invalid('version', 'is required');
  const f = readFields<keyof Version>(VERSION_SCHEMA, value, 'version');
  const repositoryName = requiredString(f.repositoryName, 'version.repositoryName', 200);
  if (!isRepositoryName(repositoryName)) {
    invalid('version.repositoryName', `must look like owner/repo, got "${repositoryName}"`);
  }
  const sha = requiredString(f.sha, 'version.sha', 64).toLowerCase();
  if (!isSha(sha)) invalid('version.sha', 'must be a git commit sha (7 to 64 hex characters)');
  // Gimlet's Go client omits `event` for push (zero value + omitempty): missing means push, but an
  // unknown word is an error rather than GimletD's silent push.
  const event = optionalString(f.event, 'version.event');
  return compact<Version>({
    repositoryName,
    sha,
    event: event === undefined ? 'push' : oneOf(event, 'version.event', GIT_EVENTS),
    created: optionalInteger(f.created, 'version.created'),
    ...Object.fromEntries(
      VERSION_STRINGS.map((key) => [
        key,
        optionalString(f[key], join('version', key), key === 'message' ? 65536 : 1024),
      ]),
    ),
  });
}

function rejectDuplicateTargets(environments: Manifest[]): void {
  const seen = new Map<string, number>();
  environments.forEach((m, i) => {
    if (hasTemplate(m.env) || hasTemplate(m.app)) return;
    const key = `${m.env}/${m.app}`;
    const first = seen.get(key);
    if (first !== undefined) {
      invalid(join('environments', i), `targets ${key} like environments[${first}]; each env/app once`);
    }
    seen.set(key, i);
  });
}
