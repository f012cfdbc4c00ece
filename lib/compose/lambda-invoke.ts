import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { type LambdaInvoke, makeLambdaInvoke } from '../adapters/lambda/invoke.ts';
import { optionalEnv, requiredEnv } from '../config/env.ts';

/**
 * Lambda's Invoke API for a function that calls another synchronously (the stream router, and the API
 * functions that render through invoke-render): the function's own region and credentials, and the SDKs'
 * service-specific endpoint variable, as the other clients honour AWS_ENDPOINT_URL_SQS.
 */
export function lambdaInvokeFromEnv(env: NodeJS.ProcessEnv = process.env): LambdaInvoke {
  const endpoint = optionalEnv('AWS_ENDPOINT_URL_LAMBDA', env) ?? optionalEnv('AWS_ENDPOINT_URL', env);
  return makeLambdaInvoke({
    region: requiredEnv('AWS_REGION', env),
    ...(endpoint ? { endpoint } : {}),
    credentials: defaultProvider(),
  });
}
