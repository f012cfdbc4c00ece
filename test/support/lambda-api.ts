import { startTextServer } from './local-server.ts';

export interface InvokeCall {
  functionName: string;
  /** X-Amz-Invocation-Type as sent (RequestResponse when absent, as Lambda reads it). */
  invocationType: string;
  authorization: string | undefined;
  /** What the stand-in answered: the HTTP status, and X-Amz-Function-Error when the function failed. */
  status: number;
  functionError?: string;
  payload: unknown;
}

export interface LambdaApi {
  /** For the router's AWS_ENDPOINT_URL_LAMBDA (or the invoke client's `endpoint`). */
  endpoint: string;
  calls: InvokeCall[];
  /** Answers the next `count` invocations of `functionName` as a crashed function or a throttle. */
  failNext(functionName: string, count: number, how: 'Unhandled' | 429): void;
  close(): Promise<void>;
}

type Handler = (event: any) => Promise<unknown>;

/**
 * A local stand-in of Lambda's Invoke API (AWS Lambda API Reference, "Invoke"): `POST
 * /2015-03-31/functions/{FunctionName}/invocations` runs the named handler and answers 200 with what it
 * returned. As Lambda does, a handler that throws is still a 200, with `X-Amz-Function-Error: Unhandled`
 * and `{errorType, errorMessage, trace}` as the payload; a throttle is a 429 TooManyRequestsException and
 * an unknown function a 404 ResourceNotFoundException, named in X-Amzn-ErrorType. Signatures are not checked.
 */
export async function startLambdaApi(functions: Record<string, Handler>): Promise<LambdaApi> {
  const calls: InvokeCall[] = [];
  const failing = new Map<string, { count: number; how: 'Unhandled' | 429 }>();
  const server = await startTextServer((req, res, body) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
    const functionName = decodeURIComponent(match?.[1] ?? '');
    const call = {
      functionName,
      invocationType: String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse'),
      authorization: req.headers.authorization,
      payload: body ? JSON.parse(body) : null,
    };
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      calls.push({
        ...call,
        status,
        ...(headers['x-amz-function-error'] ? { functionError: headers['x-amz-function-error'] } : {}),
      });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(payload));
    };
    const handler = functions[functionName];
    if (req.method !== 'POST' || !match || !handler) {
      answer(
        404,
        { Type: 'User', message: `Function not found: ${functionName}` },
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
      );
      return;
    }
    const failure = failing.get(functionName);
    if (failure && failure.count > 0) {
      failure.count -= 1;
      if (failure.how === 429) {
        answer(
          429,
          {
            Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
            Type: 'User',
            message: 'Rate Exceeded.',
          },
          { 'x-amzn-errortype': 'TooManyRequestsException' },
        );
      } else {
        const crash = { errorType: 'Runtime.ExitError', errorMessage: 'the function crashed', trace: [] };
        answer(200, crash, { 'x-amz-function-error': 'Unhandled' });
      }
      return;
    }
    handler(call.payload).then(
      (returned) => answer(200, returned ?? null),
      (error: Error) =>
        answer(
          200,
          { errorType: error.name, errorMessage: error.message, trace: [] },
          { 'x-amz-function-error': 'Unhandled' },
        ),
    );
  });
  return {
    endpoint: server.origin,
    calls,
    failNext: (functionName, count, how) => failing.set(functionName, { count, how }),
    close: server.close,
  };
}
