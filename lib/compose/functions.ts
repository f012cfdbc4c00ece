import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeDynamoArtifactStore } from '../adapters/dynamodb/artifact-store.ts';
import { makeDynamoAuditLog } from '../adapters/dynamodb/audit-log.ts';
import { makeDynamoFluxStore } from '../adapters/dynamodb/flux-store.ts';
import { makeDynamoGovernanceStore } from '../adapters/dynamodb/governance-store.ts';
import { makeDynamoPolicyStore } from '../adapters/dynamodb/policy-store.ts';
import { makeDynamoReleaseStore } from '../adapters/dynamodb/release-store.ts';
import { makeDynamoUserStore } from '../adapters/dynamodb/user-store.ts';
import { makeAuthenticator } from '../app/authenticate.ts';
import type { AutoReleaseDeps } from '../app/auto-release.ts';
import type { CleanupDeps } from '../app/cleanup.ts';
import type { DeadLetterDeps } from '../app/dead-letters.ts';
import type { ApiDeps, ArtifactsApiDeps } from '../app/deps.ts';
import type { DispatchDeps } from '../app/dispatch.ts';
import type { FluxIntakeDeps } from '../app/flux.ts';
import type { FluxStatusDeps } from '../app/flux-status.ts';
import { type GateDeps, makeReleaseGate } from '../app/gate.ts';
import type {
  AdminCredential,
  Clock,
  GitopsRepo,
  GitopsRouting,
  Manifests,
  WriteQueue,
} from '../app/ports.ts';
import type { GitopsPlace } from '../app/releases.ts';
import type { WriterDeps } from '../app/write-batch.ts';
import type { GitopsConfig, PolicyConfig } from '../config/env.ts';
import { type GitopsTarget, gitopsReposOf, repoKeyOf } from '../config/gitops-repos.ts';
import { publicRepoUrl } from '../config/settings.ts';
import type { HttpDeps } from '../http/handler.ts';
import type { Logger } from '../log/logger.ts';
import { gitopsRouting } from './gitops-routing.ts';
import { type OidcConfig, oidcSettings } from './oidc.ts';
import { policySettings } from './policies.ts';

/** A secret's current value (Secrets Manager, re-read every few minutes, on Lambda; a plain value locally). */
export type SecretReader = () => Promise<string | undefined>;

/**
 * What differs between Lambda and the local stack: the platform clients and where settings come from.
 * Everything else, which adapter serves which port of which function, is decided once, below, for both.
 * Settings are read when a function first asks for them, so a function fails only on its own settings.
 */
export interface Platform {
  dynamo: DynamoDBClient;
  tableName: string;
  clock: Clock;
  logger: Logger;
  gitops(): GitopsConfig;
  /**
   * A gitops repository, cloned into its own cache per role (the writer's and flux-status' copies); a
   * repository other than the default one gets `suffix` on its cache folder.
   */
  gitopsRepo(role: 'writer' | 'flux-status', target: GitopsTarget, suffix?: string): GitopsRepo;
  writeQueue(): WriteQueue;
  policy(): PolicyConfig;
  /** Checking and rendering what CI shipped: in process, or the invoke-render function (Lambda's API). */
  manifests: Manifests;
  secret(
    name: 'fluxHmacKey' | 'githubWebhookSecret' | 'slackToken' | 'githubToken' | 'slackSigningSecret',
  ): SecretReader | undefined;
  /** The break-glass admin token in Secrets Manager (Lambda); locally the admin is a user in the table. */
  admin(): AdminCredential | undefined;
  /** The flux-events Function URL, when the platform knows it. */
  fluxEventsUrl(): string | undefined;
  /** The GitHub OIDC exchange's rules, audience and issuer (FERRY_OIDC_*), unparsed. */
  oidc(): OidcConfig;
  /** FIFO groups per app rather than per repository (the local queue's batching; lib/app/dispatch.ts). */
  groupPerApp?: boolean;
}

// One store per call, not a bundle of them: a function's bundle then carries only the stores it uses.
const artifactStore = (p: Platform) => makeDynamoArtifactStore(p.dynamo, p.tableName);
const releaseStore = (p: Platform) => makeDynamoReleaseStore(p.dynamo, p.tableName);
const userStore = (p: Platform) => makeDynamoUserStore(p.dynamo, p.tableName);

/** The API functions (http-artifacts, http-releases, http-health, http-ui; http-users adds OIDC below). */
export function apiDeps(p: Platform): ApiDeps {
  const users = userStore(p);
  const gitops = p.gitops();
  const fluxEventsUrl = p.fluxEventsUrl();
  const slackSigningSecret = p.secret('slackSigningSecret');
  return {
    governance: makeDynamoGovernanceStore(p.dynamo, p.tableName),
    ...(slackSigningSecret ? { slackSigningSecret } : {}),
    artifacts: artifactStore(p),
    manifests: p.manifests,
    users,
    releases: releaseStore(p),
    flux: makeDynamoFluxStore(p.dynamo, p.tableName),
    ...policySettings(makeDynamoPolicyStore(p.dynamo, p.tableName), p.policy()),
    audit: makeDynamoAuditLog(p.dynamo, p.tableName),
    authenticator: makeAuthenticator(users, p.clock, p.admin()),
    gitopsRepo: publicRepoUrl(gitops.repoUrl),
    gitopsBranch: gitops.branch,
    gitopsOf: gitopsPlaces(gitops),
    ...(fluxEventsUrl ? { fluxEventsUrl } : {}),
    clock: p.clock,
    logger: p.logger,
  };
}

/**
 * http-artifacts: only the artifact store and the caller's authentication, so its bundle leaves out the
 * release, governance, policy, Flux and audit stores the other API functions use.
 */
export function artifactsDeps(p: Platform): ArtifactsApiDeps {
  return {
    artifacts: artifactStore(p),
    manifests: p.manifests,
    authenticator: makeAuthenticator(userStore(p), p.clock, p.admin()),
    clock: p.clock,
    logger: p.logger,
  };
}

/**
 * http-users, which also serves the GitHub OIDC exchange: the API's dependencies and the OIDC verifier
 * (jose), which no other function's bundle needs to carry.
 */
export function usersDeps(p: Platform): ApiDeps {
  return { ...apiDeps(p), oidc: oidcSettings(p.oidc(), p.clock) };
}

/** http-github-webhook: branch deletes and closed pull requests → cleanup requests. */
export function cleanupDeps(p: Platform): CleanupDeps & HttpDeps {
  return {
    artifacts: artifactStore(p),
    releases: releaseStore(p),
    authenticator: makeAuthenticator(userStore(p), p.clock, p.admin()),
    webhookSecret: p.secret('githubWebhookSecret') ?? (async () => undefined),
    clock: p.clock,
    logger: p.logger,
  };
}

/** http-flux-events (the public Function URL). */
export function fluxIntakeDeps(p: Platform): FluxIntakeDeps {
  return {
    flux: makeDynamoFluxStore(p.dynamo, p.tableName),
    authenticator: makeAuthenticator(userStore(p), p.clock, p.admin()),
    hmacKey: p.secret('fluxHmacKey') ?? (async () => undefined),
    clock: p.clock,
    logger: p.logger,
  };
}

/** stream-dispatch: recorded requests → the writer's FIFO queue. */
export function dispatchDeps(p: Platform): DispatchDeps {
  const gitops = p.gitops();
  return {
    releases: releaseStore(p),
    queue: p.writeQueue(),
    gitopsRepo: gitops.repoUrl,
    gitopsBranch: gitops.branch,
    repoKeyOf: repoKeyOf(gitopsReposOf(gitops)),
    ...(p.groupPerApp ? { groupPerApp: true } : {}),
    clock: p.clock,
    logger: p.logger,
  };
}

/** sqs-write: the only function that writes to the gitops repository. */
export function writerDeps(p: Platform): WriterDeps {
  return {
    gate: makeReleaseGate(gateDeps(p)),
    releases: releaseStore(p),
    artifacts: artifactStore(p),
    ...routedRepos(p, 'writer'),
    clock: p.clock,
    logger: p.logger,
  };
}

/** stream-flux-status: keeps its own read-only copy of the branch, beside the writer's. */
export function fluxStatusDeps(p: Platform): FluxStatusDeps {
  return {
    releases: releaseStore(p),
    ...routedRepos(p, 'flux-status'),
    clock: p.clock,
    logger: p.logger,
  };
}

/** stream-policy: stored artifacts → release requests, by the install's and the stored policies. */
export function policyDeps(p: Platform): AutoReleaseDeps {
  return {
    artifacts: artifactStore(p),
    manifests: p.manifests,
    releases: releaseStore(p),
    rules: policySettings(makeDynamoPolicyStore(p.dynamo, p.tableName), p.policy()).rules,
    clock: p.clock,
    logger: p.logger,
  };
}

/** The release gate: the writer checks it; schedule-gate-sweep (and a local timer) releases what waited. */
export function gateDeps(p: Platform): GateDeps {
  return {
    releases: releaseStore(p),
    governance: makeDynamoGovernanceStore(p.dynamo, p.tableName),
    clock: p.clock,
    logger: p.logger,
  };
}

/** sqs-dead-letters: needs only the table. */
export function deadLetterDeps(p: Platform): DeadLetterDeps {
  return { releases: releaseStore(p), clock: p.clock, logger: p.logger };
}

/**
 * The repositories by environment (FERRY_GITOPS_REPOS), each opened on first use: the writer and
 * flux-status get the default repository and the routing.
 */
function routedRepos(
  p: Platform,
  role: 'writer' | 'flux-status',
): { repo: GitopsRepo; routing: GitopsRouting } {
  const repos = gitopsReposOf(p.gitops());
  const defaultKey = repos.keyOf(repos.forEnv(''));
  const routing = gitopsRouting(repos, (target, key) =>
    p.gitopsRepo(
      role,
      target,
      key === defaultKey ? undefined : createHash('sha256').update(key).digest('hex').slice(0, 12),
    ),
  );
  return { repo: routing.repoFor(''), routing };
}

/** Where each environment's folders live, as the API tells clients and `env init` points Flux at. */
function gitopsPlaces(gitops: GitopsConfig): (env: string) => GitopsPlace {
  const repos = gitopsReposOf(gitops);
  return (env) => {
    const target = repos.forEnv(env);
    return { url: publicRepoUrl(target.url), branch: target.branch, folder: target.path };
  };
}

/** Runs `read` once, on first use. */
export function once<T>(read: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    value ??= { v: read() };
    return value.v;
  };
}
