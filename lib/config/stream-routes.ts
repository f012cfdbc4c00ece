import { requiredEnv } from './env.ts';
import { fail, fromEnv, stringMap } from './settings.ts';
import {
  DISPATCH_FILTER,
  type FilterPattern,
  FLUX_EVENT_FILTER,
  NOTIFY_FILTER,
  POLICY_FILTER,
} from './stream-filters.ts';

/**
 * The table stream's consumers, all behind one reader (the stream router): AWS documents that "having
 * more than two readers simultaneously reading from the same streams shard can result in throttling"
 * (Amazon DynamoDB Developer Guide, "Change data capture for DynamoDB Streams" › "Reading and processing
 * a stream", and "DynamoDB Streams and AWS Lambda triggers"). Four event source mappings on one stream
 * would be four readers per shard; one router is one, which leaves the second reader free (a future
 * consumer, or an operator's replay). On AWS each consumer is a function of its own, which the router
 * invokes (its own bundle, cold start and permissions); the local stack calls the same handlers in
 * process. Shared by the CDK stack, the router function and the local stack.
 */
export const STREAM_ROUTER_FUNCTION = 'stream-router';

export const STREAM_ROUTES = [
  { name: 'stream-dispatch', filter: DISPATCH_FILTER },
  { name: 'stream-flux-status', filter: FLUX_EVENT_FILTER },
  { name: 'stream-policy', filter: POLICY_FILTER },
  { name: 'stream-notify', filter: NOTIFY_FILTER },
] as const satisfies readonly { name: string; filter: FilterPattern }[];

export type StreamRouteName = (typeof STREAM_ROUTES)[number]['name'];

/** JSON map of route name → the SQS URL of that route's failure queue (where it parks a record). */
export const ENV_STREAM_FAILURE_QUEUES = 'FERRY_STREAM_FAILURE_QUEUES';

/** JSON map of route name → the Lambda function that runs that consumer (the router invokes it). */
export const ENV_STREAM_CONSUMER_FUNCTIONS = 'FERRY_STREAM_CONSUMER_FUNCTIONS';

/** A route tries a record this often, a second apart, before it parks it. */
export const ROUTE_ATTEMPTS = 3;
export const ROUTE_RETRY_MS = 1000;

/** One of the JSON maps above, with a string for every route, or a ConfigError naming the variable. */
export function loadRouteMap(
  variable: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<StreamRouteName, string> {
  const at = fromEnv(variable);
  const map = stringMap(at, requiredEnv(variable, env));
  const missing = STREAM_ROUTES.map((r) => r.name).filter((name) => typeof map[name] !== 'string');
  if (missing.length > 0) fail(at, `names nothing for ${missing.join(', ')}`);
  return map as Record<StreamRouteName, string>;
}
