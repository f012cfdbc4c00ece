import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { ENV_ADMIN_SECRET_ID, ENV_TABLE_NAME } from '../lib/config/env.ts';
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
