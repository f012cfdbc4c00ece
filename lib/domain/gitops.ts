import type { Intent, ReleaseRequest } from './release.ts';

/**
 * Each Ferry commit names its change in the subject and carries trailers, so history, idempotency and
 * audit can be read back from git alone (DESIGN.md §6). The writer's exactly-once check reads
 * `Ferry-Request-Id` back from the remote.
 */
export const TRAILER = {
  requestId: 'Ferry-Request-Id',
  artifactId: 'Ferry-Artifact-Id',
  intent: 'Ferry-Intent',
  env: 'Ferry-Env',
  app: 'Ferry-App',
  triggeredBy: 'Ferry-Triggered-By',
  targetSha: 'Ferry-Rollback-To',
} as const;

const SUBJECT: Record<Intent, string> = {
  deploy: 'deploy',
  rollback: 'roll back',
  delete: 'delete',
  init: 'set up Flux for',
};

export function appPath(env: string, app: string): string {
  return `${env}/${app}`;
}

/**
 * Artifact text (a branch or tag name, a commit message) reaches the subject: a line break in it would
 * start a paragraph of its own, and a `Ferry-Request-Id: …` line there would be read back as a trailer.
 * Every control and line-separator character becomes a space, so the subject stays one line.
 */
function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ');
}

export function commitMessage(request: ReleaseRequest, detail?: string): string {
  const subject = oneLine(
    `[Ferry] ${SUBJECT[request.intent]} ${appPath(request.env, request.app)}${detail ? ` ${detail}` : ''}`,
  );
  const trailers: [string, string | undefined][] = [
    [TRAILER.requestId, request.id],
    [TRAILER.intent, request.intent],
    [TRAILER.env, request.env],
    [TRAILER.app, request.app],
    [TRAILER.artifactId, request.artifactId],
    [TRAILER.targetSha, request.targetSha],
    [TRAILER.triggeredBy, request.triggeredBy],
  ];
  const lines = trailers.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${oneLine(v ?? '')}`);
  return `${subject}\n\n${lines.join('\n')}\n`;
}

/** The trailers of a commit message (the last paragraph's `Key: value` lines). */
export function readTrailers(message: string): Record<string, string> {
  const paragraphs = message.trimEnd().split(/\n\s*\n/);
  const last = paragraphs.length > 1 ? (paragraphs.at(-1) ?? '') : '';
  const trailers: Record<string, string> = {};
  for (const line of last.split('\n')) {
    const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) trailers[match[1]] = match[2];
  }
  return trailers;
}

export function requestIdOf(message: string): string | undefined {
  return readTrailers(message)[TRAILER.requestId];
}
