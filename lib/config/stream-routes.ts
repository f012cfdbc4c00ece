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
 * consumer, or an operator's replay). Shared by the CDK stack, the router function and the local stack.
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
