import { authorize, canSee } from '../domain/access.ts';
import { type Artifact, parseArtifact, targetEnvironments } from '../domain/artifact.ts';
import { NotFoundError } from '../domain/errors.ts';
import { parseArtifactQuery, type QueryParams } from '../domain/query.ts';
import { auditEntry, type CallContext } from './audit.ts';
import type { ArtifactStore } from './ports.ts';
import { newId } from './tokens.ts';

export async function shipArtifact(
  store: ArtifactStore,
  call: CallContext,
  body: unknown,
): Promise<Artifact> {
  // The role first, so a token that may not ship learns nothing from validation; the scope needs the body.
  authorize(call.principal, 'artifact:write');
  const input = parseArtifact(body);
  authorize(call.principal, 'artifact:write', targetEnvironments(input));
  const receivedAt = call.clock.now();
  const artifact: Artifact = {
    id: `${input.version.repositoryName}-${newId()}`,
    created: Math.floor(receivedAt.getTime() / 1000),
    ...input,
  };
  await store.put(
    artifact,
    receivedAt,
    auditEntry(call, 'artifact.create', artifact.id, { sha: input.version.sha }),
  );
  return artifact;
}

export async function listArtifacts(
  store: ArtifactStore,
  call: CallContext,
  params: QueryParams,
): Promise<Artifact[]> {
  authorize(call.principal, 'artifact:read');
  return (await store.list(parseArtifactQuery(params))).map((a) => narrowed(call, a));
}

/** A token limited to environments sees only the manifests of those environments. */
function narrowed(call: CallContext, artifact: Artifact): Artifact {
  if (!call.principal.environments) return artifact;
  return { ...artifact, environments: artifact.environments.filter((m) => canSee(call.principal, m.env)) };
}

export async function getArtifact(store: ArtifactStore, call: CallContext, id: string): Promise<Artifact> {
  authorize(call.principal, 'artifact:read');
  const artifact = await store.get(id);
  if (!artifact) throw new NotFoundError(`artifact ${id} not found`);
  return narrowed(call, artifact);
}
