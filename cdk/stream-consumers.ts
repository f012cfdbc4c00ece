import { Duration } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import {
  DISPATCH_FILTER,
  type FilterPattern,
  FLUX_EVENT_FILTER,
  NOTIFY_FILTER,
  POLICY_FILTER,
} from '../lib/config/stream-filters.ts';
import type { InstallConfig } from './config.ts';
import type { FerryState } from './ferry-state.ts';
import {
  grantGithubToken,
  grantGitToken,
  grantRepositoryTokens,
  grantSendWrites,
  grantSlackToken,
  useGitops,
  useReleaseRules,
  useSlackSettings,
} from './grants.ts';

export interface StreamConsumerSpec {
  /** Entry file under functions/, without extension. */
  name: string;
  /** Which table stream records reach it (shared with the local stream poller). */
  filter: FilterPattern;
  /** Grants and settings beyond the table, which every consumer reads and writes. */
  wire(fn: LambdaFunction, install: { state: FerryState; config: InstallConfig }): void;
  memorySize?: number;
  timeout?: Duration;
  batchSize?: number;
}

/**
 * The table stream's consumers. Each gets its function, an event source with its filter, bisect on error,
 * reported item failures and an on-failure queue, and alarms on that queue and on its iterator age: adding
 * a consumer is one entry here.
 */
export const STREAM_CONSUMERS: readonly StreamConsumerSpec[] = [
  {
    name: 'stream-dispatch',
    filter: DISPATCH_FILTER,
    wire: (fn, { state, config }) => {
      grantSendWrites(fn, state.writes);
      useGitops(fn, config.gitops);
    },
  },
  {
    // Keeps a clone of the gitops branch in /tmp to read which commits a Flux verdict contains.
    name: 'stream-flux-status',
    filter: FLUX_EVENT_FILTER,
    memorySize: 1024,
    timeout: Duration.minutes(1),
    wire: (fn, { state, config }) => {
      grantGitToken(fn, state.secrets.gitToken);
      grantRepositoryTokens(fn, config.gitops);
      useGitops(fn, config.gitops);
    },
  },
  {
    // New artifacts → the release requests their policies match (branch restrictions from the install).
    name: 'stream-policy',
    filter: POLICY_FILTER,
    wire: (fn, { config }) => useReleaseRules(fn, { ...config, promotionChain: [] }),
  },
  {
    // Slack and GitHub retry 429s and 5xx with backoff inside one invocation.
    name: 'stream-notify',
    filter: NOTIFY_FILTER,
    timeout: Duration.minutes(1),
    batchSize: 25,
    wire: (fn, { state, config }) => {
      grantSlackToken(fn, state.secrets.slackToken);
      grantGithubToken(fn, state.secrets.githubToken);
      useSlackSettings(fn, config);
      useGitops(fn, config.gitops);
    },
  },
];
