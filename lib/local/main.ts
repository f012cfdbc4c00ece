import { resolve } from 'node:path';
import { bootstrapAdmin, replaceAdminToken } from '../app/users.ts';
import { notifyWiring } from '../compose/notify.ts';
import {
  ConfigError,
  ENV_BRANCH_RESTRICTIONS,
  ENV_GITOPS_REPOS,
  ENV_OIDC_AUDIENCE,
  ENV_OIDC_ISSUER,
  ENV_OIDC_RULES,
  ENV_PROMOTION_CHAIN,
  loadLocalSettings,
} from '../config/env.ts';
import { loadNotifySettings } from '../config/notify-settings.ts';
import { makeLogger } from '../log/logger.ts';
import { MissingJavaError } from './dynamodb-local.ts';
import { startLocalStack } from './stack.ts';

/**
 * `npm start`: the whole of Ferry on one port with local stand-ins. Its settings are read and validated by
 * the one loader (loadLocalSettings in lib/config/env.ts; README "Configuration" lists them).
 * `npm start -- --new-admin-token` replaces the admin token and prints the new one.
 */
const say = (line: string) => process.stderr.write(`${line}\n`);

// Node 20 is a supported local runtime (Lambda runs 22); the SDK's upgrade reminder would bury the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const settings = loadLocalSettings(process.env);
  const dataDir = resolve(settings.dataDir ?? '.ferry');
  const chosenToken = settings.adminToken;
  const fluxHmacKey = settings.fluxHmacKey;
  const stack = await startLocalStack({
    port: settings.port,
    dataDir,
    holdTraffic: true,
    ...(settings.gitPort !== undefined ? { gitPort: settings.gitPort } : {}),
    logger: makeLogger(),
    ...(settings.remote ? { remote: settings.remote } : {}),
    // FERRY_GITOPS_REPOS: more repositories by environment, as on Lambda (they use FERRY_GIT_TOKEN here).
    ...(process.env[ENV_GITOPS_REPOS] ? { gitopsRepos: process.env[ENV_GITOPS_REPOS] } : {}),
    ...(fluxHmacKey ? { fluxHmacKey } : {}),
    notify: notifyWiring(loadNotifySettings(process.env), {
      slack: settings.slackToken,
      github: settings.githubToken,
    }),
    policy: {
      ...(process.env[ENV_BRANCH_RESTRICTIONS]
        ? { branchRestrictions: process.env[ENV_BRANCH_RESTRICTIONS] }
        : {}),
      ...(process.env[ENV_PROMOTION_CHAIN] ? { promotionChain: process.env[ENV_PROMOTION_CHAIN] } : {}),
    },
    ...(settings.githubWebhookSecret ? { githubWebhookSecret: settings.githubWebhookSecret } : {}),
    ...(settings.slackSigningSecret ? { slackSigningSecret: settings.slackSigningSecret } : {}),
    oidc: {
      rules: process.env[ENV_OIDC_RULES],
      audience: process.env[ENV_OIDC_AUDIENCE],
      issuer: process.env[ENV_OIDC_ISSUER],
    },
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
    error instanceof MissingJavaError || error instanceof ConfigError
      ? `ferry: ${error.message}`
      : `ferry: failed to start: ${(error as Error).message}`,
  );
  process.exit(1);
});
