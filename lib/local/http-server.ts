import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import type { RouteSpec } from '../http/routes.ts';
import type { HttpEvent, HttpResult, LambdaHttpHandler } from '../http/types.ts';
import { matchRoute } from './route-match.ts';

/** API Gateway HTTP APIs refuse payloads over 10 MB before any Lambda runs; so does the local stack. */
const GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024;

export interface LocalHttpServer {
  url: string;
  port: number;
  /** Until called (when started with `startReady: false`) every request gets 503 `starting`. */
  ready(): void;
  close(): Promise<void>;
}

/**
 * A client that sends its headers or body slowly is cut off after this long (Node's default is 300 s):
 * API Gateway's own integration timeout is 30 s.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * One local port that turns HTTP requests into API Gateway v2 events for the same handler exports that run
 * on Lambda, and the handlers' results back into HTTP responses.
 */
export async function startLocalHttpServer<F extends string>(options: {
  port: number;
  host?: string;
  routes: readonly RouteSpec<F>[];
  handlers: Record<F, LambdaHttpHandler>;
  /** False: answer 503 until ready() (the caller still has start-up work, e.g. the admin user). */
  startReady?: boolean;
}): Promise<LocalHttpServer> {
  let accepting = options.startReady ?? true;
  const server = createServer((req, res) => {
    if (!accepting) {
      req.resume();
      res.setHeader('retry-after', '1');
      return send(res, gatewayError(503, 'starting', 'Ferry is starting; try again in a moment'));
    }
    serve(req, res).catch((error: unknown) => {
      // A failure of the translation itself, not of a handler (those answer with their own 500).
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'internal', message: `local gateway: ${(error as Error).name}` } }),
      );
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const match = matchRoute(options.routes, method, url.pathname);
    const body = await readBody(req);
    if (body === undefined)
      return send(res, gatewayError(413, 'payload_too_large', 'request entity too large'));
    if (!match) return send(res, gatewayError(404, 'not_found', `no route ${method} ${url.pathname}`));
    const event = toEvent(req, url, method, match.route.routeKey, match.pathParameters, body);
    send(res, await options.handlers[match.route.fn](event, lambdaContext(match.route.fn)));
  }

  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  // Node's own refusals (oversized headers, malformed requests, timeouts) answer in the API's JSON shape.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const [status, reason, message] = clientRefusal(error.code);
    const body = JSON.stringify({ error: { code: reason, message } });
    socket.end(
      `HTTP/1.1 ${status} ${reason.replaceAll('_', ' ')}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    ready: () => {
      accepting = true;
    },
    close: () => closeServer(server),
  };
}

function clientRefusal(code: string | undefined): [number, string, string] {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return [431, 'headers_too_large', 'request headers are larger than the server accepts (16 KiB)'];
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return [408, 'request_timeout', `the request was not received within ${REQUEST_TIMEOUT_MS / 1000} s`];
  }
  return [400, 'bad_request', 'malformed HTTP request'];
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_PAYLOAD_LIMIT) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  routeKey: string,
  pathParameters: Record<string, string>,
  body: Buffer,
): HttpEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = Object.create(null);
  for (const [key, value] of url.searchParams) {
    query[key] = Object.hasOwn(query, key) ? `${query[key]},${value}` : value;
  }
  // Like API Gateway: text bodies arrive as strings, anything else base64-encoded.
  const textual = /json|text|x-www-form-urlencoded/i.test(headers['content-type'] ?? 'application/json');
  const now = new Date();
  const event: HttpEvent = {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: !textual,
  };
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (Object.keys(pathParameters).length > 0) event.pathParameters = pathParameters;
  if (body.length > 0) event.body = textual ? body.toString('utf8') : body.toString('base64');
  return event;
}

function send(res: ServerResponse, result: HttpResult): void {
  const body =
    result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(result.statusCode, { ...result.headers, 'content-length': String(body.length) });
  res.end(body);
}

function gatewayError(statusCode: number, code: string, message: string): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code, message } }),
  };
}

function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
