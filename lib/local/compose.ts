import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { makeHandler as artifactsHandler } from '../../functions/http-artifacts.ts';
import { makeHandler as webhookHandler } from '../../functions/http-github-webhook.ts';
import { makeHandler as healthHandler } from '../../functions/http-health.ts';
import { makeHandler as releasesHandler } from '../../functions/http-releases.ts';
import { makeHandler as uiHandler } from '../../functions/http-ui.ts';
import { makeHandler as usersHandler } from '../../functions/http-users.ts';
import { makeDynamoArtifactStore } from '../adapters/dynamodb/artifact-store.ts';
import { makeDynamoAuditLog } from '../adapters/dynamodb/audit-log.ts';
import { makeDynamoFluxStore } from '../adapters/dynamodb/flux-store.ts';
import { makeDynamoPolicyStore } from '../adapters/dynamodb/policy-store.ts';
import { makeDynamoReleaseStore } from '../adapters/dynamodb/release-store.ts';
import { makeDynamoUserStore } from '../adapters/dynamodb/user-store.ts';
import { makeGitopsRepo } from '../adapters/git/gitops-repo.ts';
import { makeSqsWriteQueue } from '../adapters/sqs/write-queue.ts';
import { makeAuthenticator } from '../app/authenticate.ts';
import type { AutoReleaseDeps } from '../app/auto-release.ts';
import { type ApiDeps, systemClock } from '../app/deps.ts';
import type { DispatchDeps } from '../app/dispatch.ts';
import type { FluxIntakeDeps } from '../app/flux.ts';
import type { FluxStatusDeps } from '../app/flux-status.ts';
import type { Clock, GitopsRepo, GitopsRouting } from '../app/ports.ts';
import type { WriterDeps } from '../app/write-batch.ts';
import { gitopsRouting } from '../compose/gitops-routing.ts';
import { type OidcConfig, oidcSettings } from '../compose/oidc.ts';
import { policySettings } from '../compose/policies.ts';
import { ENV_GITOPS_BRANCH, ENV_GITOPS_REPO_URL, publicRepoUrl } from '../config/env.ts';
import { ENV_GITOPS_REPOS, type GitopsRepos, loadGitopsRepos, repoKeyOf } from '../config/gitops-repos.ts';
import { API_FUNCTIONS, type ApiFunction } from '../http/routes.ts';
import type { LambdaHttpHandler } from '../http/types.ts';
import type { Logger } from '../log/logger.ts';
import type { UiAssets } from '../ui/assets.ts';
import { buildUi } from '../ui/build.ts';

export interface LocalGitops {
  url: string;
  branch: string;
  /** A real remote's token (FERRY_GIT_TOKEN); the local bare repository needs none. */
  token?: string;
  cacheDir: string;
  /** More repositories by environment, as FERRY_GITOPS_REPOS (JSON) lists them; they use `token` too. */
  repos?: string;
}

export interface LocalWiring {
  /** FERRY_BRANCH_RESTRICTIONS and FERRY_PROMOTION_CHAIN, as on Lambda. */
  policy?: { branchRestrictions?: string; promotionChain?: string };
  /** FERRY_OIDC_RULES, FERRY_OIDC_AUDIENCE and FERRY_OIDC_ISSUER, as on Lambda. */
  oidc?: OidcConfig;
  dynamo: DynamoDBClient;
  tableName: string;
  logger: Logger;
  gitops: LocalGitops;
  clock?: Clock;
}

/**
 * The local composition roots: the same adapters as on Lambda, pointed at DynamoDB Local, fauxqs and the
 * local git remote. The admin is an ordinary user in the table here (there is no Secrets Manager locally).
 */
export function localApiDeps(options: LocalWiring): ApiDeps {
  const clock = options.clock ?? systemClock;
  const users = makeDynamoUserStore(options.dynamo, options.tableName);
  return {
    artifacts: makeDynamoArtifactStore(options.dynamo, options.tableName),
    users,
    releases: makeDynamoReleaseStore(options.dynamo, options.tableName),
    flux: makeDynamoFluxStore(options.dynamo, options.tableName),
    ...policySettings(makeDynamoPolicyStore(options.dynamo, options.tableName), options.policy ?? {}),
    audit: makeDynamoAuditLog(options.dynamo, options.tableName),
    oidc: oidcSettings(options.oidc ?? {}, clock),
    authenticator: makeAuthenticator(users, clock),
    gitopsRepo: publicRepoUrl(options.gitops.url),
    gitopsBranch: options.gitops.branch,
    clock,
    logger: options.logger,
  };
}

export function localDispatchDeps(options: LocalWiring & { sqs: SQSClient; queueUrl: string }): DispatchDeps {
  return {
    releases: makeDynamoReleaseStore(options.dynamo, options.tableName),
    queue: makeSqsWriteQueue(options.sqs, options.queueUrl),
    gitopsRepo: options.gitops.url,
    gitopsBranch: options.gitops.branch,
    repoKeyOf: repoKeyOf(localGitopsRepos(options.gitops)),
    clock: options.clock ?? systemClock,
    logger: options.logger,
  };
}

/** The repositories as FERRY_GITOPS_REPOS maps them, the local (or configured) one as the default. */
export function localGitopsRepos(gitops: LocalGitops): GitopsRepos {
  return loadGitopsRepos({
    [ENV_GITOPS_REPO_URL]: gitops.url,
    [ENV_GITOPS_BRANCH]: gitops.branch,
    ...(gitops.repos ? { [ENV_GITOPS_REPOS]: gitops.repos } : {}),
  });
}

/** One clone per repository under `cacheDir` (the default repository's is `cacheDir` itself). */
function localRepos(gitops: LocalGitops, cacheDir: string): { repo: GitopsRepo; routing: GitopsRouting } {
  const { token } = gitops;
  const repos = localGitopsRepos(gitops);
  const defaultKey = repos.keyOf(repos.forEnv(''));
  const routing = gitopsRouting(repos, (target, key) =>
    makeGitopsRepo({
      url: target.url,
      branch: target.branch,
      cacheDir:
        key === defaultKey
          ? cacheDir
          : `${cacheDir}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`,
      ...(token ? { token: async () => token } : {}),
    }),
  );
  return { repo: routing.repoFor(''), routing };
}

export function localWriterDeps(options: LocalWiring): WriterDeps {
  return {
    releases: makeDynamoReleaseStore(options.dynamo, options.tableName),
    artifacts: makeDynamoArtifactStore(options.dynamo, options.tableName),
    ...localRepos(options.gitops, options.gitops.cacheDir),
    clock: options.clock ?? systemClock,
    logger: options.logger,
  };
}

/** Flux's generic-hmac key comes from FERRY_FLUX_HMAC_KEY here (Secrets Manager on AWS). */
export function localFluxIntakeDeps(options: LocalWiring & { hmacKey?: string }): FluxIntakeDeps {
  const clock = options.clock ?? systemClock;
  const key = options.hmacKey?.trim() || undefined;
  return {
    flux: makeDynamoFluxStore(options.dynamo, options.tableName),
    authenticator: makeAuthenticator(makeDynamoUserStore(options.dynamo, options.tableName), clock),
    hmacKey: async () => key,
    clock,
    logger: options.logger,
  };
}

/** The status processor keeps its own read-only copy of the branch, beside the writer's. */
export function localFluxStatusDeps(options: LocalWiring): FluxStatusDeps {
  return {
    releases: makeDynamoReleaseStore(options.dynamo, options.tableName),
    ...localRepos(options.gitops, `${options.gitops.cacheDir}-flux-status`),
    clock: options.clock ?? systemClock,
    logger: options.logger,
  };
}

/** Settings only some functions read (Secrets Manager values on Lambda). */
export interface LocalSecrets {
  /** FERRY_GITHUB_WEBHOOK_SECRET: what GitHub signs webhook deliveries with. */
  githubWebhookSecret?: string;
}

const FACTORIES: Record<ApiFunction, (deps: ApiDeps, secrets: LocalSecrets) => LambdaHttpHandler> = {
  'http-health': healthHandler,
  'http-artifacts': artifactsHandler,
  'http-users': usersHandler,
  'http-releases': releasesHandler,
  'http-github-webhook': (deps, secrets) =>
    webhookHandler({ ...deps, webhookSecret: async () => secrets.githubWebhookSecret || undefined }),
};

/** The dashboard, built by esbuild on the first request for it (stacks that never open it do not pay). */
export function localUiHandler(deps: ApiDeps): LambdaHttpHandler {
  let built: Promise<UiAssets> | undefined;
  return uiHandler({ ...deps, assets: () => (built ??= buildUi()) });
}

export function apiHandlers(
  deps: ApiDeps,
  secrets: LocalSecrets = {},
): Record<ApiFunction, LambdaHttpHandler> {
  return Object.fromEntries(API_FUNCTIONS.map((fn) => [fn, FACTORIES[fn](deps, secrets)])) as Record<
    ApiFunction,
    LambdaHttpHandler
  >;
}

/** The policy processor: artifacts stored → release requests. */
export function localPolicyDeps(options: LocalWiring, rules: ApiDeps['rules']): AutoReleaseDeps {
  return {
    artifacts: makeDynamoArtifactStore(options.dynamo, options.tableName),
    releases: makeDynamoReleaseStore(options.dynamo, options.tableName),
    rules,
    clock: options.clock ?? systemClock,
    logger: options.logger,
  };
}
