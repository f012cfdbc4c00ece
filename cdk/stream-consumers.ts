import { Duration } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { StreamRouteName } from '../lib/config/stream-routes.ts';
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
  /** The route's name (lib/config/stream-routes.ts), the module under functions/ that handles it. */
  name: StreamRouteName;
  /** Its function's timeout: what one invocation (one try of a batch) may take. */
  timeout: Duration;
  memorySize?: number;
  /** Grants and settings beyond the table, which every consumer reads and writes. */
  wire(fn: LambdaFunction, install: { state: FerryState; config: InstallConfig }): void;
}

/**
 * The table stream's consumers, all routes of the one stream router (functions/stream-router.ts). Each
 * is a function of its own with its own grants and settings and no event source: the router invokes it.
 * The router gets a failure queue per route, with an alarm on it; adding a consumer is one entry here and
 * one in STREAM_ROUTES, which alone says which records reach it (the router applies it, and the stream
 * mapping passes the routes' filters).
 */
export const STREAM_CONSUMERS: readonly StreamConsumerSpec[] = [
  {
    name: 'stream-dispatch',
    timeout: Duration.seconds(30),
    wire: (fn, { state, config }) => {
      grantSendWrites(fn, state.writes);
      useGitops(fn, config.gitops);
    },
  },
  {
    // Keeps a clone of the gitops branch in /tmp to read which commits a Flux verdict contains: a
    // minute for a fetch, and the memory isomorphic-git's pack indexes need.
    name: 'stream-flux-status',
    timeout: Duration.minutes(1),
    memorySize: 1024,
    wire: (fn, { state, config }) => {
      grantGitToken(fn, state.secrets.gitToken);
      grantRepositoryTokens(fn, config.gitops);
      useGitops(fn, config.gitops);
    },
  },
  {
    // New artifacts → the release requests their policies match (branch restrictions from the install).
    name: 'stream-policy',
    timeout: Duration.seconds(30),
    wire: (fn, { config }) => useReleaseRules(fn, { ...config, promotionChain: [] }),
  },
  {
    // Slack and GitHub retry 429s and 5xx with backoff inside one invocation, and commit statuses are
    // paced to GitHub's 80 a minute: a minute for a batch.
    name: 'stream-notify',
    timeout: Duration.minutes(1),
    wire: (fn, { state, config }) => {
      grantSlackToken(fn, state.secrets.slackToken);
      grantGithubToken(fn, state.secrets.githubToken);
      useSlackSettings(fn, config);
      useGitops(fn, config.gitops);
    },
  },
];
