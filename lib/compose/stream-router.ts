import { SQSClient } from '@aws-sdk/client-sqs';
import { makeHandler as dispatchHandler } from '../../functions/stream-dispatch.ts';
import { makeHandler as fluxStatusHandler } from '../../functions/stream-flux-status.ts';
import { makeHandler as notifyHandler } from '../../functions/stream-notify.ts';
import { makeHandler as policyHandler } from '../../functions/stream-policy.ts';
import type { RouterDeps } from '../../functions/stream-router.ts';
import type { StreamHandler, StreamRoute } from '../adapters/dynamodb/stream-fanout.ts';
import { makeSqsStreamFailures } from '../adapters/sqs/stream-failures.ts';
import { requiredEnv } from '../config/env.ts';
import { ENV_STREAM_FAILURE_QUEUES, STREAM_ROUTES, type StreamRouteName } from '../config/stream-routes.ts';
import { instrument } from '../log/instrument.ts';
import { type LogSink, makeLogger } from '../log/logger.ts';
import { lambdaDispatchDeps, lambdaFluxStatusDeps, lambdaPolicyDeps } from './lambda.ts';
import { lambdaNotifyDeps } from './notify.ts';

/**
 * The stream routes' handlers, each run as an invocation of its own name (its log lines and metrics say
 * which consumer they come from), built once per cold start; the local stack builds the same routes
 * from its own adapters.
 */
export function streamRoutes(
  handlers: Record<StreamRouteName, StreamHandler>,
  metricsSink?: LogSink,
): StreamRoute[] {
  return STREAM_ROUTES.map(({ name, filter }) => ({
    name,
    filter,
    handler: instrument(handlers[name], {
      functionName: name,
      ...(metricsSink ? { sink: metricsSink } : {}),
    }),
  }));
}

/** A route tries a record this often, a second apart and longer each time, before it parks it. */
export const ROUTE_ATTEMPTS = 3;
export const ROUTE_RETRY_MS = 1000;

export function lambdaRouterDeps(env: NodeJS.ProcessEnv = process.env): RouterDeps {
  const queues = JSON.parse(requiredEnv(ENV_STREAM_FAILURE_QUEUES, env)) as Record<string, string>;
  return {
    routes: streamRoutes({
      'stream-dispatch': dispatchHandler(lambdaDispatchDeps(env)),
      'stream-flux-status': fluxStatusHandler(lambdaFluxStatusDeps(env)),
      'stream-policy': policyHandler(lambdaPolicyDeps(env)),
      'stream-notify': notifyHandler(lambdaNotifyDeps(env)),
    }),
    park: makeSqsStreamFailures(new SQSClient({}), queues),
    maxAttempts: ROUTE_ATTEMPTS,
    retryMs: ROUTE_RETRY_MS,
    logger: makeLogger(),
  };
}
