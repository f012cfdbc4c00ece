import { resolve } from 'node:path';
import { bootstrapAdmin, replaceAdminToken } from '../app/users.ts';
import { ENV_GITOPS_REPOS } from '../config/gitops-repos.ts';
import { makeLogger } from '../log/logger.ts';
import { MissingJavaError } from './dynamodb-local.ts';
import { startLocalStack } from './stack.ts';

/**
 * `npm start`: the whole of Ferry on one port with local stand-ins. Settings: PORT (8888), FERRY_DATA_DIR
 * (.ferry/), FERRY_GIT_PORT (the local gitops server's port; default: the one it had last time), FERRY_ADMIN_TOKEN (the admin token to use on a first start), and FERRY_GITOPS_REPO_URL,
 * FERRY_GITOPS_BRANCH, FERRY_GIT_TOKEN to write to a real repository instead of the local bare one;
 * FERRY_FLUX_HMAC_KEY, the key a `generic-hmac` Flux Provider signs events with; FERRY_SLACK_TOKEN,
 * FERRY_SLACK_CHANNELS (JSON env → channel, "*" for the rest), FERRY_SLACK_TEMPLATES, FERRY_SLACK_API_URL,
 * FERRY_GITHUB_TOKEN and FERRY_GITHUB_API_URL for notifications (without tokens they are only logged);
 * FERRY_BRANCH_RESTRICTIONS, FERRY_PROMOTION_CHAIN and FERRY_GITHUB_WEBHOOK_SECRET for policies.
 * `npm start -- --new-admin-token` replaces the admin token and prints the new one.
 */
const say = (line: string) => process.stderr.write(`${line}\n`);

// Node 20 is a supported local runtime (Lambda runs 22); the SDK's upgrade reminder would bury the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8888);
  const dataDir = resolve(process.env.FERRY_DATA_DIR ?? '.ferry');
  const chosenToken = process.env.FERRY_ADMIN_TOKEN || undefined;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got ${process.env.PORT}`);
  if (chosenToken !== undefined && chosenToken.length < 16)
    throw new Error('FERRY_ADMIN_TOKEN must be at least 16 characters');

  const remoteUrl = process.env.FERRY_GITOPS_REPO_URL || undefined;
  const remote = remoteUrl
    ? {
        url: remoteUrl,
        ...(process.env.FERRY_GITOPS_BRANCH ? { branch: process.env.FERRY_GITOPS_BRANCH } : {}),
        ...(process.env.FERRY_GIT_TOKEN ? { token: process.env.FERRY_GIT_TOKEN } : {}),
      }
    : undefined;
  const fluxHmacKey = process.env.FERRY_FLUX_HMAC_KEY || undefined;
  const env = process.env;
  const json = (name: string) => {
    try {
      return env[name] ? (JSON.parse(env[name]) as Record<string, string>) : undefined;
    } catch {
      throw new Error(`${name} is not valid JSON`);
    }
  };
  const channels = json('FERRY_SLACK_CHANNELS');
  const templates = json('FERRY_SLACK_TEMPLATES');
  const notify = {
    slack: {
      ...(env.FERRY_SLACK_TOKEN ? { token: env.FERRY_SLACK_TOKEN } : {}),
      ...(env.FERRY_SLACK_API_URL ? { apiUrl: env.FERRY_SLACK_API_URL } : {}),
      ...(channels ? { channels } : {}),
      ...(templates ? { templates } : {}),
    },
    github: {
      ...(env.FERRY_GITHUB_TOKEN ? { token: env.FERRY_GITHUB_TOKEN } : {}),
      ...(env.FERRY_GITHUB_API_URL ? { baseUrl: env.FERRY_GITHUB_API_URL } : {}),
    },
  };
  const gitPort = env.FERRY_GIT_PORT === undefined ? undefined : Number(env.FERRY_GIT_PORT);
  if (gitPort !== undefined && (!Number.isInteger(gitPort) || gitPort < 0 || gitPort > 65535)) {
    throw new Error(`FERRY_GIT_PORT must be a port number, got ${env.FERRY_GIT_PORT}`);
  }
  const stack = await startLocalStack({
    port,
    dataDir,
    holdTraffic: true,
    ...(gitPort !== undefined ? { gitPort } : {}),
    logger: makeLogger(),
    ...(remote ? { remote } : {}),
    // FERRY_GITOPS_REPOS: more repositories by environment, as on Lambda (they use FERRY_GIT_TOKEN here).
    ...(env[ENV_GITOPS_REPOS] ? { gitopsRepos: env[ENV_GITOPS_REPOS] } : {}),
    ...(fluxHmacKey ? { fluxHmacKey } : {}),
    notify,
    policy: {
      ...(env.FERRY_BRANCH_RESTRICTIONS ? { branchRestrictions: env.FERRY_BRANCH_RESTRICTIONS } : {}),
      ...(env.FERRY_PROMOTION_CHAIN ? { promotionChain: env.FERRY_PROMOTION_CHAIN } : {}),
    },
    oidc: { rules: env.FERRY_OIDC_RULES, audience: env.FERRY_OIDC_AUDIENCE, issuer: env.FERRY_OIDC_ISSUER },
    ...(env.FERRY_GITHUB_WEBHOOK_SECRET ? { githubWebhookSecret: env.FERRY_GITHUB_WEBHOOK_SECRET } : {}),
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`ferry: ${signal}, stopping`);
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const { users, clock } = stack.deps;
  const created = await bootstrapAdmin(users, clock, chosenToken);
  say(`ferry: API listening on ${stack.http.url}`);
  say(
    `ferry: data in ${dataDir} (DynamoDB Local at ${stack.dynamo.endpoint}, SQS at ${stack.queues.endpoint})`,
  );
  // A token the operator chose is theirs already: it is never echoed (logs and terminals are kept).
  const shown = (token: string) => (chosenToken ? 'the one in FERRY_ADMIN_TOKEN' : `${token} (shown once)`);
  if (created) {
    say(`ferry: created user admin; its token: ${shown(created)}`);
  } else if (process.argv.includes('--new-admin-token')) {
    say(
      `ferry: replaced the admin token; the new one: ${shown(await replaceAdminToken(users, clock, chosenToken))}`,
    );
  } else {
    say('ferry: admin exists; for a new admin token run: npm start -- --new-admin-token');
  }
  say(`ferry: gitops repository ${stack.gitops.url} (branch ${stack.gitops.branch})`);
  say(
    `ferry: Flux events at ${stack.deps.fluxEventsUrl} (${fluxHmacKey ? 'generic-hmac key set' : 'no FERRY_FLUX_HMAC_KEY: flux-role tokens only'})`,
  );
  stack.http.ready();
  say('ferry: ready (Ctrl-C stops everything)');
}

main().catch((error: unknown) => {
  say(
    error instanceof MissingJavaError
      ? `ferry: ${error.message}`
      : `ferry: failed to start: ${(error as Error).message}`,
  );
  process.exit(1);
});
