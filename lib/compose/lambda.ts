import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { makeGitopsRepo } from '../adapters/git/gitops-repo.ts';
import { remoteManifests } from '../adapters/lambda/remote-manifests.ts';
import { makeSecretsManagerAdminCredential } from '../adapters/secrets/admin-credential.ts';
import { makeCachedSecret } from '../adapters/secrets/cached-secret.ts';
import { makeSqsWriteQueue } from '../adapters/sqs/write-queue.ts';
import type { AutoReleaseDeps } from '../app/auto-release.ts';
import type { CleanupDeps } from '../app/cleanup.ts';
import type { DeadLetterDeps } from '../app/dead-letters.ts';
import { type ApiDeps, type ArtifactsApiDeps, systemClock } from '../app/deps.ts';
import type { DispatchDeps } from '../app/dispatch.ts';
import type { FluxIntakeDeps } from '../app/flux.ts';
import type { FluxStatusDeps } from '../app/flux-status.ts';
import type { GateDeps } from '../app/gate.ts';
import type { AdminCredential, Clock, Manifests } from '../app/ports.ts';
import type { WriterDeps } from '../app/write-batch.ts';
import {
  ENV_ADMIN_SECRET_ID,
  ENV_FLUX_EVENTS_URL,
  ENV_GIT_CACHE_DIR,
  ENV_OIDC_AUDIENCE,
  ENV_OIDC_ISSUER,
  ENV_OIDC_RULES,
  ENV_RENDER_FUNCTION,
  ENV_TABLE_NAME,
  ENV_WRITE_QUEUE_URL,
  type GitopsConfig,
  loadGitopsConfig,
  loadPolicyConfig,
  loadSecretIds,
  optionalEnv,
  requiredEnv,
} from '../config/env.ts';
import type { HttpDeps } from '../http/handler.ts';
import { instrument } from '../log/instrument.ts';
import { makeLogger } from '../log/logger.ts';
import {
  apiDeps,
  artifactsDeps,
  cleanupDeps,
  deadLetterDeps,
  dispatchDeps,
  fluxIntakeDeps,
  fluxStatusDeps,
  gateDeps,
  once,
  type Platform,
  policyDeps,
  type SecretReader,
  usersDeps,
  writerDeps,
} from './functions.ts';
import { lambdaInvokeFromEnv } from './lambda-invoke.ts';

/** Where each role keeps its clone between warm invocations (Lambda's /tmp), unless FERRY_GIT_CACHE_DIR says. */
const CACHE_DIRS = { writer: '/tmp/ferry-gitops', 'flux-status': '/tmp/ferry-flux-status' } as const;

interface LambdaTools {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  secret(id: string | undefined): SecretReader | undefined;
  gitops(): GitopsConfig;
}

/**
 * The platform parts only some functions use, passed in by those functions' roots: a bundle carries
 * isomorphic-git or the SQS client only when its function names them (esbuild drops the rest).
 */
type Parts = { [K in 'gitopsRepo' | 'writeQueue' | 'policy']?: (tools: LambdaTools) => Platform[K] } & {
  /** Secrets Manager: the reader of one secret id. */
  secrets?: (clock: Clock) => (id: string) => SecretReader;
  admin?: (tools: LambdaTools) => AdminCredential;
  manifests?: (tools: LambdaTools) => Manifests;
};

/** One Secrets Manager client per cold start, built on the first read. */
const secretsManager = () => new SecretsManagerClient({});
export const lambdaSecrets: Pick<Parts, 'secrets' | 'admin'> = {
  secrets: (clock) => {
    const client = once(secretsManager);
    return (id) => makeCachedSecret(client(), id, clock);
  },
  // Required on Lambda: the break-glass admin must not vanish because a variable went missing.
  admin: ({ env, clock }) =>
    makeSecretsManagerAdminCredential(secretsManager(), requiredEnv(ENV_ADMIN_SECRET_ID, env), clock),
};

/**
 * One clone per repository and role: the default repository's in the role's folder, each other one beside
 * it. A repository's token comes from its own secret (FERRY_GITOPS_REPOS tokenSecretId), else the default's.
 */
const gitRemote: Parts['gitopsRepo'] = ({ env, secret }) => {
  const defaultSecret = loadSecretIds(env).gitToken;
  return (role, target, suffix) => {
    const token = secret(target.tokenSecretId ?? defaultSecret);
    const cacheDir = optionalEnv(ENV_GIT_CACHE_DIR, env) ?? CACHE_DIRS[role];
    return makeGitopsRepo({
      url: target.url,
      branch: target.branch,
      cacheDir: suffix ? `${cacheDir}-${suffix}` : cacheDir,
      ...(token ? { token } : {}),
    });
  };
};

const sqsQueue: Parts['writeQueue'] = ({ env }) => {
  return () => makeSqsWriteQueue(new SQSClient({}), requiredEnv(ENV_WRITE_QUEUE_URL, env));
};

/**
 * The API functions check and render in invoke-render (FERRY_RENDER_FUNCTION), one synchronous invocation
 * per call, so their bundles carry no YAML parser (and http-artifacts no template engine either; README,
 * Benchmarks).
 */
const renderFunction: Parts['manifests'] = ({ env }) => {
  // Read on first use: of the functions on the API's composition, only these two render.
  const remote = once(() => remoteManifests(lambdaInvokeFromEnv(env), requiredEnv(ENV_RENDER_FUNCTION, env)));
  return {
    parseArtifact: (body) => remote().parseArtifact(body),
    render: (artifact, target) => remote().render(artifact, target),
  };
};

/** FERRY_BRANCH_RESTRICTIONS and FERRY_PROMOTION_CHAIN, for the API and the policy processor. */
const policyConfig: Parts['policy'] = ({ env }) => once(() => loadPolicyConfig(env));

const notWired = (part: string) => () => {
  throw new Error(`this function's composition root does not wire ${part}`);
};

/**
 * The Lambda platform: AWS SDK clients (built once per cold start), settings from the environment through
 * the one loader (lib/config/env.ts), secrets from Secrets Manager (re-read every few minutes).
 */
export function lambdaPlatform(env: NodeJS.ProcessEnv = process.env, parts: Parts = {}): Platform {
  const clock = systemClock;
  const ids = loadSecretIds(env);
  const read = parts.secrets?.(clock);
  const secret = (id: string | undefined) => {
    if (!id) return undefined;
    if (!read) throw new Error(`this function's composition root does not wire Secrets Manager (${id})`);
    return read(id);
  };
  const gitops = once(() => loadGitopsConfig(env));
  const tools: LambdaTools = { env, clock, secret, gitops };
  return {
    dynamo: new DynamoDBClient({}),
    tableName: requiredEnv(ENV_TABLE_NAME, env),
    clock,
    logger: makeLogger(),
    gitops,
    gitopsRepo: parts.gitopsRepo?.(tools) ?? notWired('a git remote'),
    writeQueue: parts.writeQueue?.(tools) ?? notWired('the write queue'),
    policy: parts.policy?.(tools) ?? notWired('the policy settings'),
    manifests: parts.manifests?.(tools) ?? {
      parseArtifact: notWired('manifest rendering'),
      render: notWired('manifest rendering'),
    },
    secret: (name) => secret(ids[name]),
    admin: once(() => parts.admin?.(tools)),
    fluxEventsUrl: () => optionalEnv(ENV_FLUX_EVENTS_URL, env),
    oidc: () => ({
      rules: optionalEnv(ENV_OIDC_RULES, env),
      audience: optionalEnv(ENV_OIDC_AUDIENCE, env),
      issuer: optionalEnv(ENV_OIDC_ISSUER, env),
    }),
  };
}

type Env = NodeJS.ProcessEnv;

/** The Lambda composition roots, one per function: the shared builders on the Lambda platform. */
export const lambdaApiDeps = (env: Env = process.env): ApiDeps =>
  apiDeps(lambdaPlatform(env, { ...lambdaSecrets, policy: policyConfig, manifests: renderFunction }));
export const lambdaArtifactsDeps = (env: Env = process.env): ArtifactsApiDeps =>
  artifactsDeps(lambdaPlatform(env, { ...lambdaSecrets, manifests: renderFunction }));
export const lambdaUsersDeps = (env: Env = process.env): ApiDeps =>
  usersDeps(lambdaPlatform(env, { ...lambdaSecrets, policy: policyConfig }));
export const lambdaFluxIntakeDeps = (env: Env = process.env): FluxIntakeDeps =>
  fluxIntakeDeps(lambdaPlatform(env, lambdaSecrets));
export const lambdaFluxStatusDeps = (env: Env = process.env): FluxStatusDeps =>
  fluxStatusDeps(lambdaPlatform(env, { ...lambdaSecrets, gitopsRepo: gitRemote }));
/**
 * stream-policy renders in its own process, with the renderer its root hands in: a stream consumer has room
 * for the YAML parser and the template engine, and importing them here would put them in every bundle.
 */
export const lambdaPolicyDeps = (manifests: Manifests, env: Env = process.env): AutoReleaseDeps =>
  policyDeps(lambdaPlatform(env, { policy: policyConfig, manifests: () => manifests }));
export const lambdaCleanupDeps = (env: Env = process.env): CleanupDeps & HttpDeps =>
  cleanupDeps(lambdaPlatform(env, lambdaSecrets));
export const lambdaDispatchDeps = (env: Env = process.env): DispatchDeps =>
  dispatchDeps(lambdaPlatform(env, { writeQueue: sqsQueue }));
export const lambdaWriterDeps = (env: Env = process.env): WriterDeps =>
  writerDeps(lambdaPlatform(env, { ...lambdaSecrets, gitopsRepo: gitRemote }));
export const lambdaGateDeps = (env: Env = process.env): GateDeps => gateDeps(lambdaPlatform(env));
export const lambdaDeadLetterDeps = (env: Env = process.env): DeadLetterDeps =>
  deadLetterDeps(lambdaPlatform(env));

/**
 * Builds the handler on the first invocation, so importing a function module has no side effects; every
 * invocation is instrumented (Lambda context on each log line, EMF metrics flushed at its end).
 * `functionName` names the function in logs and metrics instead of its deployed name (the stream
 * consumers keep their route's name, as when the router ran them in process).
 */
export function lazy<D, E, C, R>(
  build: () => D,
  make: (deps: D) => (event: E, context: C) => Promise<R>,
  options: { functionName?: string } = {},
): (event: E, context: C) => Promise<R> {
  let built: ((event: E, context: C) => Promise<R>) | undefined;
  return instrument((event, context) => {
    built ??= make(build());
    return built(event, context);
  }, options);
}

export function onColdStart<E, C, R>(make: (deps: ApiDeps) => (event: E, context: C) => Promise<R>) {
  return lazy(() => lambdaApiDeps(), make);
}
