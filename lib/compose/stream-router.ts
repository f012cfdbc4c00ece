import { SQSClient } from '@aws-sdk/client-sqs';
import type { RouterDeps } from '../../functions/stream-router.ts';
import type { StreamHandler, StreamRoute } from '../adapters/dynamodb/stream-fanout.ts';
import { remoteStreamHandler } from '../adapters/lambda/invoke.ts';
import { makeSqsStreamFailures } from '../adapters/sqs/stream-failures.ts';
import {
  ENV_STREAM_CONSUMER_FUNCTIONS,
  ENV_STREAM_FAILURE_QUEUES,
  loadRouteMap,
  ROUTE_ATTEMPTS,
  ROUTE_RETRY_MS,
  STREAM_ROUTES,
  type StreamRouteName,
} from '../config/stream-routes.ts';
import { instrument } from '../log/instrument.ts';
import { type LogSink, makeLogger } from '../log/logger.ts';
import { lambdaInvokeFromEnv } from './lambda-invoke.ts';

/**
 * The stream routes' handlers run in the router's process (the local stack), each as an invocation of its
 * own name, so its log lines and metrics say which consumer they come from. On Lambda each consumer's
 * function instruments itself (functions/stream-*.ts).
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

/**
 * The router on Lambda: each route's handler is a synchronous invocation of that consumer's function
 * (FERRY_STREAM_CONSUMER_FUNCTIONS), so the router's bundle carries none of the consumers' code, only the
 * filters, the fan-out, the Invoke call and SQS for parking.
 */
export function lambdaRouterDeps(env: NodeJS.ProcessEnv = process.env): RouterDeps {
  const functions = loadRouteMap(ENV_STREAM_CONSUMER_FUNCTIONS, env);
  const invoke = lambdaInvokeFromEnv(env);
  return {
    routes: STREAM_ROUTES.map(({ name, filter }) => ({
      name,
      filter,
      handler: remoteStreamHandler(invoke, functions[name]),
    })),
    park: makeSqsStreamFailures(new SQSClient({}), loadRouteMap(ENV_STREAM_FAILURE_QUEUES, env)),
    maxAttempts: ROUTE_ATTEMPTS,
    retryMs: ROUTE_RETRY_MS,
    logger: makeLogger(),
  };
}
