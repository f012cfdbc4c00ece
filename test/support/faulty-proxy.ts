import { createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultyProxy {
  /** The proxy's origin; paths are passed through to the target unchanged. */
  url: string;
  /** Requests that reached the proxy, answered by a fault or passed on. */
  readonly requests: number;
  /** The next `count` requests are answered with `status` instead of reaching the target. */
  failNext(count: number, status: number): void;
  /** The next request whose body matches `pattern` is answered with `status` (e.g. one git fetch kind). */
  failMatching(pattern: RegExp, status: number): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a real local stand-in (the git http-backend server) that fails chosen requests:
 * faults enter at the adapter's boundary, as the vendor client would meet them, and the rest is the real thing.
 */
export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const to = new URL(target);
  const faults: number[] = [];
  const matching: { pattern: RegExp; status: number }[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const match = matching.findIndex((m) => m.pattern.test(body.toString('latin1')));
      const fault = match >= 0 ? matching.splice(match, 1)[0]?.status : faults.shift();
      if (fault !== undefined) {
        res.writeHead(fault, { 'content-type': 'text/plain' });
        res.end(`injected fault ${fault}\n`);
        return;
      }
      const out = forward(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    failNext: (count, status) => faults.push(...Array<number>(count).fill(status)),
    failMatching: (pattern, status) => matching.push({ pattern, status }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
