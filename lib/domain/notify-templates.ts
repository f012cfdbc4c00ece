import Handlebars from 'handlebars';
import type { Version } from './artifact.ts';
import { ValidationError } from './errors.ts';
import { INTENTS, type Intent, type ReleaseRequest, type ReleaseState, STATES } from './release.ts';
import { APPROVE_ACTION, REJECT_ACTION } from './slack-actions.ts';

/**
 * The Slack message of a release, rendered from Handlebars templates. Every value a user or CI supplied
 * (login, reason, branch, commit message, URLs) is escaped for Slack's mrkdwn in the view below, so the
 * templates compile with `noEscape` (Handlebars' HTML escaping would show `&#x27;` in Slack) and their
 * own text may use mrkdwn freely.
 *
 * Fields a template can use:
 *   env app intent state requestId emoji stateText who automatic cause reason
 *   target.sha target.shortSha target.url                        (rollback: the gitops commit restored)
 *   version.repository version.sha version.shortSha version.ref version.message version.url version.author
 *   gitops.sha gitops.shortSha gitops.url                        (the gitops commit of this release)
 * Helper `{{link url label}}` makes a Slack link, or just the label when there is no URL; partial
 * `{{> details}}` is the default body (reason, version, gitops commit, who).
 */
export interface MessageView {
  env: string;
  app: string;
  intent: Intent;
  state: ReleaseState;
  requestId: string;
  emoji: string;
  stateText: string;
  /** The login that asked, or `policy`. */
  who: string;
  automatic: boolean;
  /** Automatic requests: the policy decision behind them. */
  cause?: string;
  /** Only for failed, unchanged, superseded and waiting (every unmet condition): why. */
  reason?: string;
  target?: CommitView;
  version?: {
    repository: string;
    sha: string;
    shortSha: string;
    ref?: string;
    message?: string;
    url?: string;
    author?: string;
  };
  gitops?: CommitView;
}

interface CommitView {
  sha: string;
  shortSha: string;
  url?: string;
}

export type CommitUrl = (sha: string) => string | undefined;

const STATE_LINES: Record<ReleaseState, { emoji: string; text: string }> = {
  requested: { emoji: ':inbox_tray:', text: 'is requested' },
  queued: { emoji: ':inbox_tray:', text: 'is queued' },
  waiting: { emoji: ':double_vertical_bar:', text: 'is waiting' },
  committed: { emoji: ':hourglass_flowing_sand:', text: 'is committed; waiting for Flux' },
  reconciling: { emoji: ':arrows_counterclockwise:', text: 'is being applied by Flux' },
  succeeded: { emoji: ':white_check_mark:', text: 'succeeded' },
  unchanged: { emoji: ':white_circle:', text: 'changed nothing' },
  superseded: { emoji: ':white_circle:', text: 'was superseded by a newer request' },
  failed: { emoji: ':x:', text: 'failed' },
};

const DETAILS = `{{#if reason}}
*Reason:* {{reason}}
{{/if}}
{{#if version}}
*Version:* {{link version.url version.shortSha}}{{#if version.ref}} on \`{{version.ref}}\`{{/if}}{{#if version.message}}: {{version.message}}{{/if}}
{{/if}}
{{#if gitops}}
*Gitops commit:* {{link gitops.url gitops.shortSha}}
{{/if}}
{{#if automatic}}Automatic, by policy{{#if cause}}: {{cause}}{{/if}}{{else}}Requested by {{who}}{{/if}}`;

export const DEFAULT_TEMPLATES: Record<Intent, string> = {
  deploy: `{{emoji}} Deploy of *{{app}}* to *{{env}}* {{stateText}}\n{{> details}}`,
  rollback: `{{emoji}} Rollback of *{{app}}* in *{{env}}* to {{link target.url target.shortSha}} {{stateText}}\n{{> details}}`,
  delete: `{{emoji}} Removal of *{{app}}* from *{{env}}* {{stateText}}\nThis removes the app and everything it runs from *{{env}}*.\n{{> details}}`,
  init: `{{emoji}} Flux setup of *{{env}}* {{stateText}}\nThis writes the Flux Provider and Alert that report to Ferry into \`{{env}}/flux/\`.\n{{> details}}`,
};

/** Every key an override may use, most specific first in lookup: `<intent>.<state>`, `<state>`, `<intent>`. */
export const TEMPLATE_KEYS: ReadonlySet<string> = new Set([
  ...INTENTS.flatMap((intent) => STATES.map((state) => `${intent}.${state}`)),
  ...STATES,
  ...INTENTS,
]);

/** Slack mrkdwn's control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const isWebUrl = (url: unknown): url is string => typeof url === 'string' && /^https?:\/\//i.test(url);

/** A URL safe inside `<url|label>`: http(s) only, escaped, and nothing that would end the link early. */
function slackUrl(url: string | undefined): string | undefined {
  if (!isWebUrl(url)) return undefined;
  return escapeSlack(url).replace(/\|/g, '%7C').replace(/\s/g, encodeURIComponent);
}

const short = (sha: string) => sha.slice(0, 7);
const commit = (sha: string | undefined, url: CommitUrl | undefined): CommitView | undefined =>
  sha ? { sha, shortSha: short(sha), url: slackUrl(url?.(sha)) } : undefined;

/** What the templates see for `request` at its current state; `version` is its artifact's, when known. */
export function messageView(request: ReleaseRequest, version?: Version, commitUrl?: CommitUrl): MessageView {
  const line = STATE_LINES[request.state];
  const explains =
    request.state === 'failed' ||
    request.state === 'unchanged' ||
    request.state === 'superseded' ||
    request.state === 'waiting';
  const message = version?.message?.split('\n')[0]?.trim();
  const ref = version?.tag || version?.branch || version?.sourceBranch;
  return {
    env: request.env,
    app: request.app,
    intent: request.intent,
    state: request.state,
    requestId: request.id,
    emoji: line.emoji,
    stateText: line.text,
    who: escapeSlack(request.triggeredBy),
    automatic: request.triggeredBy === 'policy',
    cause: request.cause ? escapeSlack(request.cause) : undefined,
    reason: explains && request.reason ? escapeSlack(request.reason) : undefined,
    target: commit(request.targetSha, commitUrl),
    version: version && {
      repository: escapeSlack(version.repositoryName),
      sha: version.sha,
      shortSha: short(version.sha),
      ref: ref ? escapeSlack(ref) : undefined,
      message: message ? escapeSlack(message) : undefined,
      url: slackUrl(version.url),
      author: version.authorName ? escapeSlack(version.authorName) : undefined,
    },
    gitops: commit(request.gitopsSha, commitUrl),
  };
}

const handlebars = Handlebars.create();
// The view's values are escaped already; the helper only refuses what is not a web link.
handlebars.registerHelper('link', (url: unknown, label: unknown) => {
  const text = typeof label === 'string' ? label : '';
  return isWebUrl(url) ? `<${url}|${text}>` : text;
});
handlebars.registerPartial('details', DETAILS);

const compile = (source: string) => handlebars.compile<MessageView>(source, { noEscape: true });

/** Two views every template must render: one with all fields, one with none of the optional ones. */
const SAMPLE_REQUEST: ReleaseRequest = {
  id: 'sample',
  intent: 'deploy',
  env: 'staging',
  app: 'api',
  triggeredBy: 'alice',
  createdAt: '2024-01-01T00:00:00.000Z',
  state: 'failed',
  states: [],
};
const SAMPLES: MessageView[] = [
  messageView(
    { ...SAMPLE_REQUEST, reason: 'r', gitopsSha: 'a'.repeat(40), targetSha: 'b'.repeat(40) },
    { repositoryName: 'acme/api', sha: 'c'.repeat(40), event: 'push', branch: 'main', message: 'm' },
    (sha) => `https://example.com/${sha}`,
  ),
  messageView(SAMPLE_REQUEST),
];

export type MessageRenderer = (view: MessageView) => string;

const DEFAULTS = Object.fromEntries(
  INTENTS.map((intent) => [intent, compile(DEFAULT_TEMPLATES[intent])]),
) as Record<Intent, Handlebars.TemplateDelegate<MessageView>>;

/**
 * Compiles the overrides once. One with an unknown key, no text, bad syntax, or an unknown helper or
 * partial is refused here (naming its key), not when the first release would have been announced.
 */
export function makeMessageRenderer(overrides: Partial<Record<string, string>> = {}): MessageRenderer {
  const templates = new Map<string, Handlebars.TemplateDelegate<MessageView>>();
  for (const [key, source] of Object.entries(overrides)) {
    if (source === undefined) continue;
    if (!TEMPLATE_KEYS.has(key)) {
      throw new ValidationError(`template key "${key}" is not an intent, a state or <intent>.<state>`);
    }
    if (!source.trim()) throw new ValidationError(`template "${key}" is empty`);
    const template = compile(source);
    try {
      for (const sample of SAMPLES) template(sample);
    } catch (error) {
      throw new ValidationError(`template "${key}": ${(error as Error).message}`, { cause: error });
    }
    templates.set(key, template);
  }
  return (view) => {
    const template =
      templates.get(`${view.intent}.${view.state}`) ??
      templates.get(view.state) ??
      templates.get(view.intent) ??
      DEFAULTS[view.intent];
    return template(view)
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  };
}

/**
 * Block Kit for a release message: the text as a section and, while the request waits for approvals,
 * Approve and Reject buttons carrying the request id (Slack posts them to `/api/slack/interactions`).
 * Once nothing is left to approve the same call replaces the blocks, so the buttons go away.
 */
export function messageBlocks(text: string, request: ReleaseRequest): Record<string, unknown>[] {
  const section = { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } };
  const approvable =
    request.state === 'waiting' && (request.gate?.conditions ?? []).some((c) => c.kind === 'approval');
  if (!approvable) return [section];
  const button = (actionId: string, label: string, style: 'primary' | 'danger') => ({
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: label },
    style,
    value: request.id,
  });
  return [
    section,
    {
      type: 'actions',
      block_id: `ferry-decide-${request.id}`.slice(0, 255),
      elements: [button(APPROVE_ACTION, 'Approve', 'primary'), button(REJECT_ACTION, 'Reject', 'danger')],
    },
  ];
}
