import type { ArtifactInput, Version } from '../../domain/artifact.ts';
import { compact, type JsonObject } from '../../domain/validate.ts';
import type { CliIo } from '../command.ts';
import { UsageError } from '../errors.ts';
import { readGimletFolder } from './gimlet-folder.ts';
import { commitInfo } from './git.ts';
import { gitHubRun } from './github.ts';
import { completeSource, ferrySource, nonEmpty } from './source.ts';

/**
 * The artifact as POSTed: manifests are sent as read, since the server validates them (parseArtifact)
 * and sets `id` and `created`.
 */
export type ArtifactDraft = Omit<ArtifactInput, 'environments'> & { environments: JsonObject[] };

/** `--field k=v` → the item `{name: k, url: v}`, as the shipper's `fields` input did. */
export function parseField(field: string): JsonObject {
  const eq = field.indexOf('=');
  if (eq < 1) throw new UsageError(`--field must look like name=url, got "${field}"`);
  return { name: field.slice(0, eq), url: field.slice(eq + 1) };
}

/**
 * Builds the artifact for the commit in `dir` the way Gimlet's shipper did (gimletd.md §11.1): version
 * from GitHub Actions or FERRY_* with the clone filling gaps, GITHUB_* and the standard variables in
 * `context` and `vars`, `.gimlet/vars` merged into `vars`, one environment per `.gimlet/*.yaml`.
 */
export async function buildArtifact(
  dir: string,
  fields: JsonObject[],
  io: CliIo,
): Promise<{ artifact: ArtifactDraft; files: string[] }> {
  const github = io.env.GITHUB_ACTIONS === 'true' ? gitHubRun(io) : undefined;
  const source = await completeSource({ ...github?.source, ...ferrySource(io.env) }, dir);
  const [commit, folder] = await Promise.all([commitInfo(dir, source.sha), readGimletFolder(dir)]);

  // Ferry's EVENT is push|tag|pr (Gimlet put GitHub's event name there), and PR_NUMBER is new.
  const standard = nonEmpty({
    REPO: source.repository,
    OWNER: source.repository.split('/')[0],
    BRANCH: source.branch,
    TAG: source.tag,
    SHA: source.sha,
    ACTOR: io.env.GITHUB_ACTOR,
    EVENT: source.event,
    JOB: io.env.GITHUB_JOB,
    PR_NUMBER: source.prNumber,
  });
  const context = { ...github?.variables, ...standard };
  const version = compact<Version>({
    repositoryName: source.repository,
    sha: source.sha,
    created: commit?.created,
    branch: source.branch,
    event: source.event,
    sourceBranch: source.sourceBranch,
    targetBranch: source.targetBranch,
    tag: source.tag,
    authorName: commit?.authorName || undefined,
    authorEmail: commit?.authorEmail || undefined,
    committerName: commit?.committerName || undefined,
    committerEmail: commit?.committerEmail || undefined,
    message: commit?.message || undefined,
    url: source.url,
  });
  return {
    artifact: {
      version,
      context,
      vars: { ...context, ...folder.vars },
      items: [...(github?.ciItem ? [github.ciItem] : []), ...fields],
      environments: folder.environments,
    },
    files: folder.files,
  };
}
