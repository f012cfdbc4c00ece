import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  ENV_ADMIN_SECRET_ID,
  ENV_GIT_TOKEN_SECRET_ID,
  ENV_GITOPS_BRANCH,
  ENV_GITOPS_REPO_URL,
  ENV_TABLE_NAME,
  ENV_WRITE_QUEUE_URL,
  type GitopsConfig,
} from '../lib/config/env.ts';
import type { FerryFunction } from './ferry-function.ts';

/** Each grant sets the permission and the variable the handler reads, so neither can be forgotten. */
export function grantTable(fn: FerryFunction, table: ITable): void {
  table.grantReadWriteData(fn);
  fn.addEnvironment(ENV_TABLE_NAME, table.tableName);
}

export function grantAdminSecret(fn: FerryFunction, secret: ISecret): void {
  secret.grantRead(fn);
  fn.addEnvironment(ENV_ADMIN_SECRET_ID, secret.secretArn);
}

export function grantSendWrites(fn: FerryFunction, queue: IQueue): void {
  queue.grantSendMessages(fn);
  fn.addEnvironment(ENV_WRITE_QUEUE_URL, queue.queueUrl);
}

export function grantGitToken(fn: FerryFunction, secret: ISecret): void {
  secret.grantRead(fn);
  fn.addEnvironment(ENV_GIT_TOKEN_SECRET_ID, secret.secretArn);
}

/** Not a permission, but read the same way: every function that names the gitops repository. */
export function useGitops(fn: FerryFunction, gitops: GitopsConfig): void {
  fn.addEnvironment(ENV_GITOPS_REPO_URL, gitops.repoUrl);
  fn.addEnvironment(ENV_GITOPS_BRANCH, gitops.branch);
}
