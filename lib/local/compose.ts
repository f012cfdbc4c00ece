import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { makeHandler as artifactsHandler } from '../../functions/http-artifacts.ts';
import { makeHandler as webhookHandler } from '../../functions/http-github-webhook.ts';
import { makeHandler as healthHandler } from '../../functions/http-health.ts';
import { makeHandler as releasesHandler } from '../../functions/http-releases.ts';
import { makeHandler as uiHandler } from '../../functions/http-ui.ts';
import { makeHandler as usersHandler } from '../../functions/http-users.ts';
import { makeGitopsRepo } from '../adapters/git/gitops-repo.ts';
import { makeSqsWriteQueue } from '../adapters/sqs/write-queue.ts';
import { type ApiDeps, systemClock } from '../app/deps.ts';
import { inProcessManifests } from '../app/manifests.ts';
import type { Clock } from '../app/ports.ts';
import { once, type Platform, usersDeps } from '../compose/functions.ts';
import type { OidcConfig } from '../compose/oidc.ts';
import { ENV_BRANCH_RESTRICTIONS, ENV_PROMOTION_CHAIN, loadPolicyConfig } from '../config/env.ts';
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
  dynamo: DynamoDBClient;
  tableName: string;
  logger: Logger;
  gitops: LocalGitops;
  clock?: Clock;
  /** FERRY_BRANCH_RESTRICTIONS and FERRY_PROMOTION_CHAIN as on Lambda, validated by the same loader. */
  policy?: { branchRestrictions?: string; promotionChain?: string };
  /** FERRY_OIDC_RULES, FERRY_OIDC_AUDIENCE and FERRY_OIDC_ISSUER, as on Lambda. */
  oidc?: OidcConfig;
  /** fauxqs: the writer's queue, for the dispatcher. */
  queue?: { sqs: SQSClient; url: string };
  /** Secrets as values (FERRY_FLUX_HMAC_KEY, FERRY_GITHUB_WEBHOOK_SECRET…); Secrets Manager ids on Lambda. */
  secrets?: Partial<Record<Parameters<Platform['secret']>[0], string>>;
}

/**
 * The local platform: the same builders as on Lambda (lib/compose/functions.ts), pointed at DynamoDB Local,
 * fauxqs and the local git remote. The admin is an ordinary user in the table here (there is no Secrets
 * Manager locally).
 */
export function localPlatform(options: LocalWiring): Platform {
  const { gitops } = options;
  const token = gitops.token;
  const policy = once(() =>
    loadPolicyConfig({
      ...(options.policy?.branchRestrictions
        ? { [ENV_BRANCH_RESTRICTIONS]: options.policy.branchRestrictions }
        : {}),
      ...(options.policy?.promotionChain ? { [ENV_PROMOTION_CHAIN]: options.policy.promotionChain } : {}),
    }),
  );
  return {
    dynamo: options.dynamo,
    tableName: options.tableName,
    clock: options.clock ?? systemClock,
    logger: options.logger,
    gitops: () => ({
      repoUrl: gitops.url,
      branch: gitops.branch,
      ...(gitops.repos ? { repos: gitops.repos } : {}),
    }),
    gitopsRepo: (role, target, suffix) => {
      const cacheDir = role === 'writer' ? gitops.cacheDir : `${gitops.cacheDir}-${role}`;
      return makeGitopsRepo({
        url: target.url,
        branch: target.branch,
        cacheDir: suffix ? `${cacheDir}-${suffix}` : cacheDir,
        ...(token ? { token: async () => token } : {}),
      });
    },
    writeQueue: () => {
      if (!options.queue) throw new Error('the local platform was built without a write queue');
      return makeSqsWriteQueue(options.queue.sqs, options.queue.url);
    },
    policy,
    manifests: inProcessManifests,
    secret: (name) => {
      const value = options.secrets?.[name]?.trim() || undefined;
      return value ? async () => value : undefined;
    },
    admin: () => undefined,
    fluxEventsUrl: () => undefined,
    oidc: () => options.oidc ?? {},
    groupPerApp: true,
  };
}

/**
 * The API functions' dependencies on the local platform (tests start the API alone with it): one set
 * for every API function, http-users' (the API's and the OIDC exchange's), as one process serves them all.
 */
export function localApiDeps(options: LocalWiring): ApiDeps {
  return usersDeps(localPlatform(options));
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
