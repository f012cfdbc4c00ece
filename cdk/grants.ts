import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  ENV_ADMIN_SECRET_ID,
  ENV_BRANCH_RESTRICTIONS,
  ENV_FLUX_EVENTS_URL,
  ENV_FLUX_HMAC_SECRET_ID,
  ENV_GIT_TOKEN_SECRET_ID,
  ENV_GITHUB_TOKEN_SECRET_ID,
  ENV_GITHUB_WEBHOOK_SECRET_ID,
  ENV_GITOPS_BRANCH,
  ENV_GITOPS_REPO_URL,
  ENV_OIDC_AUDIENCE,
  ENV_OIDC_ISSUER,
  ENV_OIDC_RULES,
  ENV_PROMOTION_CHAIN,
  ENV_SLACK_CHANNELS,
  ENV_SLACK_SIGNING_SECRET_ID,
  ENV_SLACK_TEMPLATES,
  ENV_SLACK_TOKEN_SECRET_ID,
  ENV_TABLE_NAME,
  ENV_WRITE_QUEUE_URL,
  type GitopsConfig,
} from '../lib/config/env.ts';
import { ENV_GITOPS_REPOS } from '../lib/config/gitops-repos.ts';
import { type InstallConfig, repositoryTokenSecrets } from './config.ts';

/**
 * Each grant sets the permission and the variable the handler reads, so neither can be forgotten. They
 * take any Lambda function (FerryFunction is one), so they can be tested without bundling.
 */
export function grantTable(fn: LambdaFunction, table: ITable): void {
  table.grantReadWriteData(fn);
  fn.addEnvironment(ENV_TABLE_NAME, table.tableName);
}

export function grantSendWrites(fn: LambdaFunction, queue: IQueue): void {
  queue.grantSendMessages(fn);
  fn.addEnvironment(ENV_WRITE_QUEUE_URL, queue.queueUrl);
}

/** Read access to one secret, named to the handler by its ARN in `variable`. */
const secretGrant = (variable: string) => (fn: LambdaFunction, secret: ISecret) => {
  secret.grantRead(fn);
  fn.addEnvironment(variable, secret.secretArn);
};

export const grantAdminSecret = secretGrant(ENV_ADMIN_SECRET_ID);
export const grantGitToken = secretGrant(ENV_GIT_TOKEN_SECRET_ID);
export const grantFluxHmacKey = secretGrant(ENV_FLUX_HMAC_SECRET_ID);
export const grantSlackToken = secretGrant(ENV_SLACK_TOKEN_SECRET_ID);
export const grantGithubToken = secretGrant(ENV_GITHUB_TOKEN_SECRET_ID);

/** Slack's signing secret, for the interactivity route (Approve/Reject buttons) in `http-releases`. */
export const grantSlackSigningSecret = secretGrant(ENV_SLACK_SIGNING_SECRET_ID);

/** The secret GitHub signs webhook deliveries with (X-Hub-Signature-256), for `http-github-webhook`. */
export const grantGithubWebhookSecret = secretGrant(ENV_GITHUB_WEBHOOK_SECRET_ID);

/** Not a permission, but read the same way: every function that names the gitops repository. */
export function useGitops(fn: LambdaFunction, gitops: GitopsConfig): void {
  fn.addEnvironment(ENV_GITOPS_REPO_URL, gitops.repoUrl);
  fn.addEnvironment(ENV_GITOPS_BRANCH, gitops.branch);
  if (gitops.repos) fn.addEnvironment(ENV_GITOPS_REPOS, gitops.repos);
}

/** Read access to the tokens of the repositories FERRY_GITOPS_REPOS adds (by Secrets Manager name). */
export function grantRepositoryTokens(fn: LambdaFunction, gitops: GitopsConfig): void {
  repositoryTokenSecrets(gitops).forEach((name, i) => {
    Secret.fromSecretNameV2(fn, `RepoToken${i}`, name).grantRead(fn);
  });
}

/** The public address Flux posts to, which `ferry env init` writes into each environment's Provider. */
export function useFluxEventsUrl(fn: LambdaFunction, url: string): void {
  fn.addEnvironment(ENV_FLUX_EVENTS_URL, url);
}

/** Install-time release rules; unset when the install has none, as the handlers expect. */
export function useReleaseRules(
  fn: LambdaFunction,
  config: Pick<InstallConfig, 'branchRestrictions' | 'promotionChain'>,
): void {
  if (config.branchRestrictions.length > 0) {
    fn.addEnvironment(ENV_BRANCH_RESTRICTIONS, JSON.stringify(config.branchRestrictions));
  }
  if (config.promotionChain.length > 0)
    fn.addEnvironment(ENV_PROMOTION_CHAIN, config.promotionChain.join(','));
}

/** The OIDC exchange's rules, audience and issuer (http-users only); unset: every exchange is refused. */
export function useOidcSettings(fn: LambdaFunction, config: Pick<InstallConfig, 'oidc'>): void {
  if (!config.oidc) return;
  fn.addEnvironment(ENV_OIDC_RULES, JSON.stringify(config.oidc.rules));
  if (config.oidc.audience) fn.addEnvironment(ENV_OIDC_AUDIENCE, config.oidc.audience);
  if (config.oidc.issuer) fn.addEnvironment(ENV_OIDC_ISSUER, config.oidc.issuer);
}

/** Where and how the notifier posts to Slack; unset settings keep the handler's defaults. */
export function useSlackSettings(
  fn: LambdaFunction,
  config: Pick<InstallConfig, 'slackChannels' | 'slackTemplates'>,
): void {
  if (Object.keys(config.slackChannels).length > 0) {
    fn.addEnvironment(ENV_SLACK_CHANNELS, JSON.stringify(config.slackChannels));
  }
  if (Object.keys(config.slackTemplates).length > 0) {
    fn.addEnvironment(ENV_SLACK_TEMPLATES, JSON.stringify(config.slackTemplates));
  }
}

/**
 * Lambda's default role carries AWSLambdaBasicExecutionRole, which may create and write any log group in
 * the account (`Resource: *`). A FerryFunction logs to its own group, made by the stack, so the role only
 * needs to write that one.
 */
export function writeOwnLogsOnly(fn: LambdaFunction): void {
  (fn.role?.node.defaultChild as CfnRole | undefined)?.addPropertyDeletionOverride('ManagedPolicyArns');
  fn.logGroup.grantWrite(fn);
}
