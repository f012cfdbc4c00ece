/**
 * The process behind startGitServer(): serves every bare repository under <root> over git's smart HTTP
 * protocol, running `git http-backend` as CGI once per request. It is a separate process because a server
 * inside the caller cannot answer while the caller blocks in a synchronous git call (execFileSync).
 *
 * Usage: git-http-child <root> <port> <host>. Prints {"port":N} as its first stdout line once listening,
 * and exits when its stdin closes, so even a parent killed with SIGKILL does not leave it behind.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseCgiHead } from './cgi-response.ts';
import { gitEnv } from './git-cli.ts';

const [root, port = '0', host = '127.0.0.1'] = process.argv.slice(2);

function cgiEnv(req: IncomingMessage, projectRoot: string): NodeJS.ProcessEnv {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const env = gitEnv({
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    // http-backend refuses anonymous pushes unless each repository opts in; a local stand-in accepts them.
    REMOTE_USER: 'ferry-local',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
  });
  const { 'content-type': contentType, 'content-length': contentLength } = req.headers;
  if (contentType) env.CONTENT_TYPE = contentType;
  // Without a length (a chunked upload) http-backend reads the body to EOF, which is what we hand it.
  if (contentLength) env.CONTENT_LENGTH = contentLength;
  // Every request header as HTTP_*, as CGI does: http-backend inflates gzip bodies itself when it sees
  // HTTP_CONTENT_ENCODING, and speaks protocol v2 when HTTP_GIT_PROTOCOL asks for it.
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    env[`HTTP_${name.toUpperCase().replaceAll('-', '_')}`] = Array.isArray(value) ? value.join(', ') : value;
  }
  return env;
}

function serve(req: IncomingMessage, res: ServerResponse, projectRoot: string): void {
  const backend = spawn('git', ['http-backend'], { env: cgiEnv(req, projectRoot), stdio: 'pipe' });
  let head: Buffer = Buffer.alloc(0);
  let answered = false;
  let failed = false;
  const fail = (error: unknown) => {
    if (failed) return;
    failed = true;
    process.stderr.write(`git-http: ${req.method} ${req.url}: ${String(error)}\n`);
    backend.kill('SIGKILL');
    if (res.headersSent) res.destroy();
    else res.writeHead(500, { 'content-type': 'text/plain' }).end('git http-backend failed\n');
  };
  const onHead = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const parsed = parseCgiHead(head);
    if (!parsed) return;
    answered = true;
    backend.stdout.off('data', onHead);
    res.writeHead(parsed.status, parsed.reason, parsed.headers);
    res.write(parsed.rest);
    backend.stdout.pipe(res);
  };
  backend.once('error', fail);
  backend.stdout.on('data', onHead);
  backend.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  backend.once('close', (code) => {
    if (!answered) fail(new Error(`http-backend exited with ${code} before sending headers`));
  });
  // http-backend answers some requests (a 404) without reading the body; the closed pipe is expected.
  backend.stdin.on('error', () => undefined);
  req.once('error', fail);
  // A client gone mid-answer would leave http-backend blocked on a pipe nobody reads.
  res.once('close', () => {
    if (!res.writableFinished) backend.kill('SIGKILL');
  });
  req.pipe(backend.stdin);
}

if (!root) {
  process.stderr.write('usage: git-http-child <root> <port> <host>\n');
  process.exit(2);
}
const server = createServer((req, res) => {
  try {
    serve(req, res, root);
  } catch (error) {
    process.stderr.write(`git-http: ${req.method} ${req.url}: ${String(error)}\n`);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('git server error\n');
  }
});
server.once('error', (error) => {
  process.stderr.write(`git-http: cannot listen on ${host}:${port}: ${error.message}\n`);
  process.exit(1);
});
server.listen(Number(port), host, () => {
  const address = server.address();
  const chosen = typeof address === 'object' && address ? address.port : Number(port);
  process.stdout.write(`${JSON.stringify({ port: chosen })}\n`);
});
process.stdin.once('close', () => process.exit(0));
process.stdin.resume();
