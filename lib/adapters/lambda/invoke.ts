import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { DependencyError, UnavailableError } from '../../domain/errors.ts';
import type { StreamHandler } from '../dynamodb/stream-fanout.ts';

/**
 * Lambda's Invoke API as one signed request (AWS Lambda API Reference, "Invoke":
 * `POST /2015-03-31/functions/FunctionName/invocations`), instead of @aws-sdk/client-lambda, which this
 * project does not depend on: the router needs this one operation, and the SigV4 signer its SQS client
 * already bundles.
 */
export interface LambdaInvokeOptions {
  region: string;
  /** `https://lambda.<region>.amazonaws.com` unless set (AWS_ENDPOINT_URL_LAMBDA, a test's stand-in). */
  endpoint?: string;
  credentials: AwsCredentialIdentityProvider;
}

/** Calls a function synchronously and returns what it returned, parsed; throws when the call failed. */
export type LambdaInvoke = (functionName: string, payload: unknown) => Promise<unknown>;

export function makeLambdaInvoke(o: LambdaInvokeOptions): LambdaInvoke {
  const endpoint = new URL(o.endpoint ?? `https://lambda.${o.region}.amazonaws.com`);
  const signer = new SignatureV4({
    service: 'lambda',
    region: o.region,
    credentials: o.credentials,
    // The SDK clients' own Node SHA-256 (node:crypto), already in every bundle with them.
    sha256: Sha256,
  });
  return async (functionName, payload) => {
    const what = `invoking ${functionName}`;
    const body = JSON.stringify(payload);
    const path = `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
    const signed = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path,
      query: {},
      headers: {
        host: endpoint.host,
        'content-type': 'application/json',
        // Synchronous: Lambda answers with the function's response (the default, said explicitly).
        'x-amz-invocation-type': 'RequestResponse',
      },
      body,
    });
    const response = await fetch(new URL(path, endpoint), {
      method: 'POST',
      headers: signed.headers,
      body,
    }).catch((error: unknown) => {
      // An unreachable endpoint or a dropped connection: the same call can succeed later.
      throw new UnavailableError(`${what}: ${(error as Error).message}`, { cause: error });
    });
    const text = await response.text();
    if (!response.ok) {
      // Lambda names the refusal in X-Amzn-ErrorType: TooManyRequestsException (429, throttled) and the
      // 5xx ones can pass; a missing function, a denied call or a payload over 6 MB will not.
      const type = response.headers.get('x-amzn-errortype')?.split(':')[0] ?? `HTTP ${response.status}`;
      const message = `${what}: ${type} (${response.status}): ${text.slice(0, 300)}`;
      throw response.status === 429 || response.status >= 500
        ? new UnavailableError(message)
        : new DependencyError(message);
    }
    const functionError = response.headers.get('x-amz-function-error');
    if (functionError) {
      // "If present, indicates that an error occurred during function execution. Details about the error
      // are included in the response payload" (Invoke, Response Syntax): a throw, a timeout, an out-of-memory
      // exit. Lambda answers 200 all the same, so it is told apart by this header alone.
      throw new UnavailableError(`${what}: the function failed (${functionError}): ${errorOf(text)}`);
    }
    return text ? JSON.parse(text) : null;
  };
}

/**
 * A stream route whose consumer runs as its own function. The router hands it the records that route's
 * filter matched, in a synchronous invocation: its payload limit is 6 MB each way (Lambda quotas,
 * "Invocation payload (request and response)"), and the event Lambda handed the router fit that limit, so the
 * subset for one route fits it too. A failed call (function error, throttle, network) throws, which the
 * router counts as a failed attempt of the first record, as a consumer that threw in process.
 */
export function remoteStreamHandler(invoke: LambdaInvoke, functionName: string): StreamHandler {
  return async (event: DynamoDBStreamEvent) =>
    batchResponseOf(functionName, await invoke(functionName, event), event);
}

/**
 * Read as an event source mapping reads a partial batch response (Lambda Developer Guide, "Handling
 * errors for a DynamoDB event source": success and failure conditions): null or an empty list is success;
 * an itemIdentifier that is not one of the batch's sequence numbers fails the whole batch.
 */
function batchResponseOf(
  functionName: string,
  returned: unknown,
  event: DynamoDBStreamEvent,
): DynamoDBBatchResponse {
  const failures = (returned as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  if (failures === undefined || failures === null) return { batchItemFailures: [] };
  const sequences = new Set(event.Records.map((r) => r.dynamodb?.SequenceNumber));
  const valid =
    Array.isArray(failures) &&
    failures.every((f) => sequences.has((f as { itemIdentifier?: string } | null)?.itemIdentifier));
  if (!valid) {
    throw new DependencyError(
      `${functionName} answered no partial batch response: ${JSON.stringify(returned).slice(0, 300)}`,
    );
  }
  return { batchItemFailures: failures as DynamoDBBatchResponse['batchItemFailures'] };
}

/** The function's error payload (`{errorType, errorMessage, trace}`) as one line. */
function errorOf(text: string): string {
  try {
    const e = JSON.parse(text) as { errorType?: string; errorMessage?: string };
    return `${e.errorType ?? 'Error'}: ${e.errorMessage ?? ''}`.slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}
