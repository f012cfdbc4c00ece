import { authorize, canSee } from '../domain/access.ts';
import type { Artifact, ArtifactInput } from '../domain/artifact.ts';
import { NotFoundError } from '../domain/errors.ts';
import { parseArtifactQuery, type QueryParams } from '../domain/query.ts';
import { auditEntry, type CallContext } from './audit.ts';
import type { ArtifactStore, Manifests } from './ports.ts';
import { newId } from './tokens.ts';

export async function shipArtifact(
  { artifacts: store, manifests }: { artifacts: ArtifactStore; manifests: Manifests },
  call: CallContext,
  body: unknown,
): Promise<Artifact> {
  // The role first, so a token that may not ship learns nothing from validation; the scope needs the body.
  authorize(call.principal, 'artifact:write');
  const input = await manifests.parseArtifact(body);
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

/** Environments an artifact's manifests can release into (templated env names count as unknown). */
function targetEnvironments(artifact: ArtifactInput): string[] {
  return [...new Set(artifact.environments.map((m) => m.env))];
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
