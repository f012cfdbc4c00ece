import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { makeDynamoArtifactStore } from '../adapters/dynamodb/artifact-store.ts';
import { makeDynamoAuditLog } from '../adapters/dynamodb/audit-log.ts';
import { makeDynamoFluxStore } from '../adapters/dynamodb/flux-store.ts';
import { makeDynamoPolicyStore } from '../adapters/dynamodb/policy-store.ts';
import { makeDynamoReleaseStore } from '../adapters/dynamodb/release-store.ts';
import { makeDynamoUserStore } from '../adapters/dynamodb/user-store.ts';
import { makeGitopsRepo } from '../adapters/git/gitops-repo.ts';
import { makeSecretsManagerAdminCredential } from '../adapters/secrets/admin-credential.ts';
import { makeCachedSecret } from '../adapters/secrets/cached-secret.ts';
import { makeSqsWriteQueue } from '../adapters/sqs/write-queue.ts';
import { makeAuthenticator } from '../app/authenticate.ts';
import type { AutoReleaseDeps } from '../app/auto-release.ts';
import type { CleanupDeps } from '../app/cleanup.ts';
import type { DeadLetterDeps } from '../app/dead-letters.ts';
import { type ApiDeps, systemClock } from '../app/deps.ts';
import type { DispatchDeps } from '../app/dispatch.ts';
import type { FluxIntakeDeps } from '../app/flux.ts';
import type { FluxStatusDeps } from '../app/flux-status.ts';
import type { GitopsRepo, GitopsRouting } from '../app/ports.ts';
import type { WriterDeps } from '../app/write-batch.ts';
import {
  ENV_ADMIN_SECRET_ID,
  ENV_BRANCH_RESTRICTIONS,
  ENV_FLUX_EVENTS_URL,
  ENV_FLUX_HMAC_SECRET_ID,
  ENV_GIT_CACHE_DIR,
  ENV_GIT_TOKEN_SECRET_ID,
  ENV_GITHUB_WEBHOOK_SECRET_ID,
  ENV_OIDC_AUDIENCE,
  ENV_OIDC_ISSUER,
  ENV_OIDC_RULES,
  ENV_PROMOTION_CHAIN,
  ENV_TABLE_NAME,
  ENV_WRITE_QUEUE_URL,
  loadGitopsConfig,
  publicRepoUrl,
  requiredEnv,
} from '../config/env.ts';
import { loadGitopsRepos, repoKeyOf } from '../config/gitops-repos.ts';
import type { HttpDeps } from '../http/handler.ts';
import { instrument } from '../log/instrument.ts';
import { makeLogger } from '../log/logger.ts';
import { gitopsRouting } from './gitops-routing.ts';
import { oidcSettings } from './oidc.ts';
import { policySettings } from './policies.ts';

/** Lambda composition roots: adapters built once per cold start from the environment. */

export function lambdaApiDeps(env: NodeJS.ProcessEnv = process.env): ApiDeps {
  const tableName = requiredEnv(ENV_TABLE_NAME, env);
  const dynamo = new DynamoDBClient({});
  const clock = systemClock;
  const users = makeDynamoUserStore(dynamo, tableName);
  const admin = makeSecretsManagerAdminCredential(
    new SecretsManagerClient({}),
    requiredEnv(ENV_ADMIN_SECRET_ID, env),
    clock,
  );
  return {
    artifacts: makeDynamoArtifactStore(dynamo, tableName),
    users,
    releases: makeDynamoReleaseStore(dynamo, tableName),
    flux: makeDynamoFluxStore(dynamo, tableName),
    ...policySettings(makeDynamoPolicyStore(dynamo, tableName), {
      branchRestrictions: env[ENV_BRANCH_RESTRICTIONS],
      promotionChain: env[ENV_PROMOTION_CHAIN],
    }),
    audit: makeDynamoAuditLog(dynamo, tableName),
    oidc: oidcSettings(
      { rules: env[ENV_OIDC_RULES], audience: env[ENV_OIDC_AUDIENCE], issuer: env[ENV_OIDC_ISSUER] },
      clock,
    ),
    authenticator: makeAuthenticator(users, clock, admin),
    gitopsRepo: publicRepoUrl(loadGitopsConfig(env).repoUrl),
    gitopsBranch: loadGitopsConfig(env).branch,
    ...(env[ENV_FLUX_EVENTS_URL] ? { fluxEventsUrl: env[ENV_FLUX_EVENTS_URL] } : {}),
    clock,
    logger: makeLogger(),
  };
}

export function lambdaFluxIntakeDeps(env: NodeJS.ProcessEnv = process.env): FluxIntakeDeps {
  const tableName = requiredEnv(ENV_TABLE_NAME, env);
  const dynamo = new DynamoDBClient({});
  const secrets = new SecretsManagerClient({});
  const clock = systemClock;
  const users = makeDynamoUserStore(dynamo, tableName);
  const admin = makeSecretsManagerAdminCredential(secrets, requiredEnv(ENV_ADMIN_SECRET_ID, env), clock);
  const hmacSecret = env[ENV_FLUX_HMAC_SECRET_ID];
  return {
    flux: makeDynamoFluxStore(dynamo, tableName),
    authenticator: makeAuthenticator(users, clock, admin),
    hmacKey: hmacSecret ? makeCachedSecret(secrets, hmacSecret, clock) : async () => undefined,
    clock,
    logger: makeLogger(),
  };
}

export function lambdaFluxStatusDeps(env: NodeJS.ProcessEnv = process.env): FluxStatusDeps {
  const tableName = requiredEnv(ENV_TABLE_NAME, env);
  return {
    releases: makeDynamoReleaseStore(new DynamoDBClient({}), tableName),
    ...routedRepos(env, '/tmp/ferry-flux-status'),
    clock: systemClock,
    logger: makeLogger(),
  };
}

/**
 * Every environment's repository (FERRY_GITOPS_REPOS; the default one otherwise), each with its own clone
 * under the cache folder and its own token from Secrets Manager (the default repository's when unset).
 */
function gitopsRoutingFromEnv(env: NodeJS.ProcessEnv, defaultCacheDir: string): GitopsRouting {
  const secrets = new SecretsManagerClient({});
  const defaultSecret = env[ENV_GIT_TOKEN_SECRET_ID];
  const cacheRoot = env[ENV_GIT_CACHE_DIR] || defaultCacheDir;
  const repos = loadGitopsRepos(env);
  const defaultKey = repos.keyOf(repos.forEnv(''));
  return gitopsRouting(repos, (target, key) => {
    const secretId = target.tokenSecretId ?? defaultSecret;
    const token = secretId ? makeCachedSecret(secrets, secretId, systemClock) : undefined;
    return makeGitopsRepo({
      url: target.url,
      branch: target.branch,
      // The default repository keeps the folder it always had; others get one each beside it.
      cacheDir:
        key === defaultKey
          ? cacheRoot
          : `${cacheRoot}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`,
      ...(token ? { token } : {}),
    });
  });
}

export function lambdaPolicyDeps(env: NodeJS.ProcessEnv = process.env): AutoReleaseDeps {
  const tableName = requiredEnv(ENV_TABLE_NAME, env);
  const dynamo = new DynamoDBClient({});
  const settings = policySettings(makeDynamoPolicyStore(dynamo, tableName), {
    branchRestrictions: env[ENV_BRANCH_RESTRICTIONS],
  });
  return {
    artifacts: makeDynamoArtifactStore(dynamo, tableName),
    releases: makeDynamoReleaseStore(dynamo, tableName),
    rules: settings.rules,
    clock: systemClock,
    logger: makeLogger(),
  };
}

export function lambdaCleanupDeps(env: NodeJS.ProcessEnv = process.env): CleanupDeps & HttpDeps {
  const api = lambdaApiDeps(env);
  const secretId = env[ENV_GITHUB_WEBHOOK_SECRET_ID];
  return {
    artifacts: api.artifacts,
    releases: api.releases,
    authenticator: api.authenticator,
    webhookSecret: secretId
      ? makeCachedSecret(new SecretsManagerClient({}), secretId, systemClock)
      : async () => undefined,
    clock: api.clock,
    logger: api.logger,
  };
}

export function lambdaDispatchDeps(env: NodeJS.ProcessEnv = process.env): DispatchDeps {
  const tableName = requiredEnv(ENV_TABLE_NAME, env);
  const gitops = loadGitopsConfig(env);
  return {
    releases: makeDynamoReleaseStore(new DynamoDBClient({}), tableName),
    queue: makeSqsWriteQueue(new SQSClient({}), requiredEnv(ENV_WRITE_QUEUE_URL, env)),
    gitopsRepo: gitops.repoUrl,
    gitopsBranch: gitops.branch,
    repoKeyOf: repoKeyOf(loadGitopsRepos(env)),
    clock: systemClock,
    logger: makeLogger(),
  };
}

export function lambdaWriterDeps(env: NodeJS.ProcessEnv = process.env): WriterDeps {
  const tableName = requiredEnv(ENV_TABLE_NAME, env);
  const dynamo = new DynamoDBClient({});
  return {
    releases: makeDynamoReleaseStore(dynamo, tableName),
    artifacts: makeDynamoArtifactStore(dynamo, tableName),
    ...routedRepos(env, '/tmp/ferry-gitops'),
    clock: systemClock,
    logger: makeLogger(),
  };
}

/** The dead-letter drain needs only the table. */
export function lambdaDeadLetterDeps(env: NodeJS.ProcessEnv = process.env): DeadLetterDeps {
  return {
    releases: makeDynamoReleaseStore(new DynamoDBClient({}), requiredEnv(ENV_TABLE_NAME, env)),
    clock: systemClock,
    logger: makeLogger(),
  };
}

/** The writer's and flux-status's view: the default repository, and the routing when there are several. */
function routedRepos(env: NodeJS.ProcessEnv, cacheDir: string): { repo: GitopsRepo; routing: GitopsRouting } {
  const routing = gitopsRoutingFromEnv(env, cacheDir);
  return { repo: routing.repoFor(''), routing };
}

/**
 * Builds the handler on the first invocation, so importing a function module has no side effects; every
 * invocation is instrumented (Lambda context on each log line, EMF metrics flushed at its end).
 */
export function lazy<D, E, C, R>(
  build: () => D,
  make: (deps: D) => (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  let built: ((event: E, context: C) => Promise<R>) | undefined;
  return instrument((event, context) => {
    built ??= make(build());
    return built(event, context);
  });
}

export function onColdStart<E, C, R>(make: (deps: ApiDeps) => (event: E, context: C) => Promise<R>) {
  return lazy(() => lambdaApiDeps(), make);
}
