import type { OutgoingHttpHeaders } from 'node:http';

export interface CgiHead {
  status: number;
  reason: string | undefined;
  headers: OutgoingHttpHeaders;
  /** Bytes after the blank line: the start of the body. */
  rest: Buffer;
}

/**
 * Parses the header block a CGI program prints before its body (`Status: 404 Not Found`, headers, blank
 * line). Returns undefined until the blank line has arrived, so callers can feed it growing buffers.
 */
export function parseCgiHead(output: Buffer): CgiHead | undefined {
  const crlf = output.indexOf('\r\n\r\n');
  const lf = output.indexOf('\n\n');
  const [end, gap] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
  if (end < 0) return undefined;
  let status = 200;
  let reason: string | undefined;
  const headers: OutgoingHttpHeaders = {};
  for (const line of output.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') {
      const match = /^(\d{3})\s*(.*)$/.exec(value);
      status = match ? Number(match[1]) : 500;
      reason = match?.[2] || undefined;
      continue;
    }
    const previous = headers[name];
    headers[name] = previous === undefined ? value : [...[previous].flat().map(String), value];
  }
  return { status, reason, headers, rest: output.subarray(end + gap) };
}
