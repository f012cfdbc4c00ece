/**
 * Environment variable names shared by the CDK stack (which sets them) and the Lambda composition root
 * (which reads them), so a rename cannot leave one side behind.
 */
export const ENV_TABLE_NAME = 'FERRY_TABLE_NAME';
export const ENV_ADMIN_SECRET_ID = 'FERRY_ADMIN_SECRET_ID';
export const ENV_WRITE_QUEUE_URL = 'FERRY_WRITE_QUEUE_URL';
export const ENV_LOG_LEVEL = 'FERRY_LOG_LEVEL';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

export interface LambdaConfig {
  tableName: string;
  adminSecretId: string;
}

/** Read once per cold start; a missing variable fails naming it. */
export function loadLambdaConfig(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  return {
    tableName: requiredEnv(ENV_TABLE_NAME, env),
    adminSecretId: requiredEnv(ENV_ADMIN_SECRET_ID, env),
  };
}
