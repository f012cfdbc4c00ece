import { FerryError } from '../../domain/errors.ts';

/**
 * One `git-receive-pack` request over smart HTTP: update `ref` from `oldOid` to `newOid` and send the pack.
 * The server applies the update only while the ref still points at `oldOid`, which makes the push a
 * compare-and-swap. isomorphic-git's push walks every tree of the merge base to work out what to send
 * (~0.5 s on a 2,000-file repository); the writer already knows exactly which objects it made.
 */
export class GitHttpError extends FerryError {
  readonly code = 'git_http';
  /** A 5xx or 429 may pass; any other status (401, 403, 404) and an unpack failure will not. */
  constructor(
    message: string,
    readonly status: number,
    options: { retryable?: boolean } = {},
  ) {
    super(message, { retryable: options.retryable ?? (status >= 500 || status === 429) });
  }
}

export type PushResult = { ok: true } | { ok: false; reason: string };

const ZERO_OID = '0'.repeat(40);

function pktLine(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload]);
}

function readPktLines(body: Buffer): string[] {
  const lines: string[] = [];
  let at = 0;
  while (at + 4 <= body.length) {
    const length = Number.parseInt(body.subarray(at, at + 4).toString(), 16);
    if (Number.isNaN(length)) break;
    if (length === 0) {
      at += 4;
      continue;
    }
    lines.push(
      body
        .subarray(at + 4, at + length)
        .toString()
        .replace(/\n$/, ''),
    );
    at += length;
  }
  return lines;
}

export async function receivePack(options: {
  url: string;
  ref: string;
  oldOid: string | undefined;
  newOid: string;
  pack: Buffer;
  authorization?: string;
}): Promise<PushResult> {
  const command = `${options.oldOid ?? ZERO_OID} ${options.newOid} ${options.ref}\0report-status agent=ferry\n`;
  const response = await fetch(`${options.url.replace(/\/$/, '')}/git-receive-pack`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-git-receive-pack-request',
      accept: 'application/x-git-receive-pack-result',
      ...(options.authorization ? { authorization: options.authorization } : {}),
    },
    body: Buffer.concat([pktLine(command), Buffer.from('0000'), options.pack]),
  });
  const body = Buffer.from(await response.arrayBuffer());
  if (!response.ok) {
    throw new GitHttpError(`git push to ${options.url} failed: HTTP ${response.status}`, response.status);
  }
  const lines = readPktLines(body);
  const unpack = lines.find((l) => l.startsWith('unpack '));
  // A pack the server cannot unpack is a bug or corruption, never a race: retrying would not help.
  if (unpack !== 'unpack ok')
    throw new GitHttpError(`git push to ${options.url}: ${unpack ?? 'no report'}`, response.status, {
      retryable: false,
    });
  if (lines.includes(`ok ${options.ref}`)) return { ok: true };
  const refused = lines.find((l) => l.startsWith(`ng ${options.ref} `));
  return { ok: false, reason: refused?.slice(`ng ${options.ref} `.length) ?? 'no report for the ref' };
}
