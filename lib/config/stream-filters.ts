import { FLUX_EVENT_PREFIX } from '../adapters/dynamodb/flux-store.ts';
import { ANNOUNCE_PREFIX } from '../adapters/dynamodb/governance-store.ts';
import { REQUEST_PREFIX } from '../adapters/dynamodb/release-store.ts';
import { KEY } from '../adapters/dynamodb/schema.ts';

/**
 * Lambda event-source filter patterns for the table's stream, shared by the CDK stack (FilterCriteria)
 * and the local stream poller (which applies the same patterns), so both feed a handler the same records.
 */
export type FilterPattern = { [key: string]: FilterPattern | (string | { prefix: string })[] };

/** New release requests: the dispatcher relays them to the FIFO queue. */
export const DISPATCH_FILTER: FilterPattern = {
  eventName: ['INSERT'],
  dynamodb: { Keys: { [KEY.partition]: { S: [{ prefix: REQUEST_PREFIX }] } } },
};

/** Flux events as they are stored: the status processor moves releases forward from them. */
export const FLUX_EVENT_FILTER: FilterPattern = {
  eventName: ['INSERT'],
  dynamodb: { Keys: { [KEY.partition]: { S: [{ prefix: FLUX_EVENT_PREFIX }] } } },
};

/** Newly stored artifacts: the policy processor turns matching manifests into release requests. */
export const POLICY_FILTER: FilterPattern = {
  eventName: ['INSERT'],
  dynamodb: { Keys: { [KEY.partition]: { S: [{ prefix: 'ARTIFACT#' }] }, [KEY.sort]: { S: ['META'] } } },
};

/**
 * Request state changes after creation, and announcements (a halted environment, a freeze override): the
 * notifier tells Slack and GitHub about them. New REQUEST items pass too (one pattern cannot say "MODIFY
 * of these, INSERT of those"); the notifier finds nothing to tell in a request's first state.
 */
export const NOTIFY_FILTER: FilterPattern = {
  eventName: ['MODIFY', 'INSERT'],
  dynamodb: { Keys: { [KEY.partition]: { S: [{ prefix: REQUEST_PREFIX }, { prefix: ANNOUNCE_PREFIX }] } } },
};

/** The subset of EventBridge-style matching these patterns use: exact values and prefixes. */
export function matchesFilter(pattern: FilterPattern, value: unknown): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const field = (value as Record<string, unknown> | undefined)?.[key];
    if (!Array.isArray(rule)) return matchesFilter(rule, field);
    return rule.some((r) =>
      typeof r === 'string' ? field === r : typeof field === 'string' && field.startsWith(r.prefix),
    );
  });
}
