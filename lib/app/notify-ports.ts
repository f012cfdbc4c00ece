import { FerryError } from '../domain/errors.ts';

/** The notifier's ports, in the domain's terms; lib/adapters/{slack,github,dynamodb} implement them. */

/** A posted Slack message: `channel` is the id Slack answered with (chat.update needs the id, not a name). */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

/** Slack Block Kit blocks, passed through as they are. */
export type SlackBlock = Record<string, unknown>;

export interface SlackPort {
  /** False while no token is configured: the notifier then only logs what it would send. */
  enabled(): Promise<boolean>;
  post(channel: string, text: string, blocks?: SlackBlock[]): Promise<SlackMessageRef>;
  /** `blocks` replace the message's blocks (Slack keeps the old ones when none are given). */
  update(channel: string, ts: string, text: string, blocks?: SlackBlock[]): Promise<void>;
}

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  owner: string;
  repo: string;
  sha: string;
  state: CommitState;
  /** The status's name on the commit: one per environment, so each environment's latest shows. */
  context: string;
  /** GitHub refuses more than 140 characters. */
  description: string;
  targetUrl?: string;
}

export interface CommitStatusPort {
  /** False while no token is configured: the notifier then only logs what it would send. */
  enabled(): Promise<boolean>;
  set(status: CommitStatus): Promise<void>;
}

/**
 * Which Slack message tells a request's story, so later states update it in place. The stream delivers a
 * change at least once: a message is remembered only if none is yet, and the one remembered first wins.
 */
export interface NotificationStore {
  slackMessage(requestId: string): Promise<SlackMessageRef | undefined>;
  /** Remembers `message` unless another is remembered already; returns the message that stays. */
  rememberSlackMessage(requestId: string, message: SlackMessageRef, at: Date): Promise<SlackMessageRef>;
}

export interface NotifyConfig {
  /** Environment → Slack channel; `*` is the channel of every other environment. */
  channels: Record<string, string>;
  /**
   * Handlebars templates overriding the defaults of lib/domain/notify-templates.ts, keyed
   * `<intent>.<state>`, `<state>` or `<intent>` (looked up in that order).
   */
  templates?: Partial<Record<string, string>>;
}

/**
 * Slack or GitHub refused a call, or still failed after the adapter's own retries. The adapter says which:
 * `retryable` (a 429, a 5xx, a timeout: the stream retries the record) or not (no token, bad credentials,
 * an unknown channel or commit: told once in the log, never retried).
 */
export class DeliveryError extends FerryError {
  readonly code = 'delivery_failed';
  constructor(message: string, options: { cause?: unknown; retryable: boolean }) {
    super(message, options);
  }
}
