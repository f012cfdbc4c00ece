import { createHash } from 'node:crypto';
import type { Artifact } from '../domain/artifact.ts';
import { PayloadTooLargeError, UnauthenticatedError, ValidationError } from '../domain/errors.ts';
import { evaluateCleanup } from '../domain/policy.ts';
import { RenderError } from '../domain/render/errors.ts';
import { renderTemplate } from '../domain/render/template.ts';
import { isPreview, manifestTarget, previewName, templateVars } from '../domain/targets.ts';
import type { Logger } from '../log/logger.ts';
import { createPolicyRequest } from './auto-release.ts';
import type { ArtifactStore, Clock, ReleaseStore } from './ports.ts';
import { signatureMatches } from './signature.ts';

export interface CleanupDeps {
  artifacts: ArtifactStore;
  releases: ReleaseStore;
  /** The secret GitHub signs deliveries with; undefined when the install has none. */
  webhookSecret: () => Promise<string | undefined>;
  clock: Clock;
  logger: Logger;
}

export interface GithubDelivery {
  body: Buffer;
  signature?: string;
  /** `X-GitHub-Event` */
  event?: string;
  /** `X-GitHub-Delivery`: logged only; replays are recognised by the signed bytes, not by this id. */
  delivery?: string;
}

export interface CleanupResult {
  event: string;
  branch?: string;
  repository?: string;
  deletes: { env: string; app: string; requestId: string; duplicate: boolean }[];
  ignored?: string;
}

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

/** The branch that went away: a `delete` of a branch, or the head branch of a closed pull request. */
/** The fields of GitHub's `delete` and `pull_request` payloads that Ferry reads. */
interface GithubPayload {
  ref?: unknown;
  ref_type?: unknown;
  action?: unknown;
  pull_request?: { head?: { ref?: unknown } };
  repository?: { full_name?: unknown };
}

function goneBranch(event: string, payload: GithubPayload): string | undefined {
  if (event === 'delete' && payload.ref_type === 'branch' && typeof payload.ref === 'string')
    return payload.ref;
  if (event === 'pull_request' && payload.action === 'closed') {
    const ref = payload.pull_request?.head?.ref;
    return typeof ref === 'string' ? ref : undefined;
  }
  return undefined;
}

/**
 * `POST /api/github-webhook`: verifies `X-Hub-Signature-256` over the received bytes, then for a deleted
 * branch or a closed pull request deletes, through the writer, every app that a manifest's `cleanup`
 * policy names for that branch and every preview the branch made. The manifests come from the newest
 * artifact of that branch (else of the repository). Apps not deployed are left alone.
 */
export async function receiveGithubWebhook(
  deps: CleanupDeps,
  delivery: GithubDelivery,
): Promise<CleanupResult> {
  // GitHub caps webhook payloads at 25 MB (docs.github.com, "Webhook events and payloads": "Payloads are
  // capped at 25 MB"); the branch and pull-request events Ferry reads are a few KB, so the API's 1 MiB
  // limit applies here too, checked before any HMAC work.
  if (delivery.body.length > MAX_WEBHOOK_BYTES) {
    throw new PayloadTooLargeError(
      `body is ${delivery.body.length} bytes; the limit is ${MAX_WEBHOOK_BYTES} (1 MiB)`,
    );
  }
  const secret = await deps.webhookSecret();
  if (!secret)
    throw new UnauthenticatedError('X-Hub-Signature-256: this install has no GitHub webhook secret');
  if (!signatureMatches(delivery.body, delivery.signature, secret)) {
    throw new UnauthenticatedError(
      'X-Hub-Signature-256: does not match the body (wrong secret, or a changed body)',
    );
  }
  const event = delivery.event ?? '';
  let payload: GithubPayload;
  try {
    payload = JSON.parse(delivery.body.toString('utf8')) as GithubPayload;
  } catch (error) {
    throw new ValidationError(`body: not valid JSON: ${(error as Error).message}`);
  }
  const branch = goneBranch(event, payload);
  const repository = payload.repository?.full_name;
  if (!branch || typeof repository !== 'string') {
    return { event, deletes: [], ignored: `nothing to clean up for a ${event || 'unnamed'} event` };
  }
  const artifact =
    (await deps.artifacts.list({ repository, branch, limit: 1, offset: 0 }))[0] ??
    (await deps.artifacts.list({ repository, limit: 1, offset: 0 }))[0];
  if (!artifact) return { event, branch, repository, deletes: [], ignored: `no artifact of ${repository}` };
  const deletes: CleanupResult['deletes'] = [];
  // What the signature covers decides what is a replay: GitHub's redelivery, or anyone resending the
  // signed bytes under a new X-GitHub-Delivery, makes the same request ids and so deletes nothing twice.
  const signed = createHash('sha256').update(delivery.body).digest('hex');
  for (const { preview, ...target } of cleanupTargets(artifact, branch)) {
    const [status] = await deps.releases.status(target.env, target.app);
    if (!status?.release) continue;
    // A preview is cleaned up only when that branch made it: an app whose name merely looks like
    // `<app>-<branch>` (a `web-api` beside branch `api` of `web`) is someone else's.
    const version = status.release.record.version;
    if (preview && version?.branch !== branch && version?.sourceBranch !== branch) {
      deps.logger.info('not deleting an app this branch did not deploy', {
        env: target.env,
        app: target.app,
        branch,
      });
      continue;
    }
    const id = `cleanup-${createHash('sha256')
      .update(`${signed}\n${target.env}\n${target.app}`)
      .digest('hex')
      .slice(0, 32)}`;
    const created = await createPolicyRequest(deps, {
      id,
      intent: 'delete',
      ...target,
      cause: `${event === 'delete' ? 'branch' : 'pull request branch'} ${branch} of ${repository} went away`,
    });
    deletes.push({ ...target, requestId: id, duplicate: !created });
  }
  deps.logger.info('github webhook', {
    event,
    repository,
    branch,
    delivery: delivery.delivery,
    deletes: deletes.length,
  });
  return { event, branch, repository, deletes };
}

/** `<env>/<app>` pairs the artifact's manifests clean up when `branch` goes. */
export function cleanupTargets(
  artifact: Artifact,
  branch: string,
): { env: string; app: string; preview: boolean }[] {
  // An artifact stored before vars-in-vars resolution may hold vars that no longer resolve; its previews
  // are still named by the branch alone, so cleanup goes on with BRANCH only.
  const vars = { ...resolvableVars(artifact), BRANCH: branch };
  const found = new Map<string, { env: string; app: string; preview: boolean }>();
  for (const manifest of artifact.environments) {
    try {
      let app: string | undefined;
      let preview = false;
      if (manifest.cleanup && evaluateCleanup(manifest.cleanup, branch).matched && manifest.cleanup.app) {
        app = renderTemplate(manifest.cleanup.app, vars, 'cleanup.app');
      } else if (isPreview(manifest)) {
        preview = true;
        app = previewName(manifest, branch) ?? renderTemplate(manifest.app, vars, 'app');
      }
      if (!app) continue;
      const target = manifestTarget({ ...manifest, app }, vars);
      found.set(`${target.env}/${target.app}`, { env: target.env, app: target.app, preview });
    } catch {
      // A manifest whose names do not render for this branch names nothing to clean up.
    }
  }
  return [...found.values()];
}

function resolvableVars(artifact: Artifact): Record<string, string> {
  try {
    return templateVars(artifact);
  } catch (error) {
    if (error instanceof RenderError) return {};
    throw error;
  }
}
