import { type InvocationContext, runInvocation } from './invocation.ts';
import type { LogSink } from './logger.ts';
import { flushMetrics } from './metrics.ts';

/**
 * A handler run as one invocation: its log lines carry the Lambda context (lib/log/logger.ts) and its
 * metrics are written as EMF when it ends, also when it throws. On Lambda the context comes with the
 * event; the local stack names the function itself.
 */
export function instrument<E, C, R>(
  handler: (event: E, context: C) => Promise<R>,
  options: { functionName?: string; sink?: LogSink } = {},
): (event: E, context?: C) => Promise<R> {
  return (event, context) =>
    runInvocation(
      contextOf(context, options.functionName),
      () => handler(event, context as C),
      (invocation) => flushMetrics(invocation, options.sink),
    );
}

function contextOf(context: unknown, fallbackName: string | undefined): InvocationContext {
  const lambda = (context ?? {}) as Partial<InvocationContext>;
  return {
    functionName:
      fallbackName ?? lambda.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'ferry-function',
    ...(typeof lambda.awsRequestId === 'string' ? { awsRequestId: lambda.awsRequestId } : {}),
  };
}
