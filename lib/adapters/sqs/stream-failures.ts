import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { StreamFailure } from '../dynamodb/stream-fanout.ts';

/**
 * A stream route's failure destination on AWS: its own SQS queue, which receives the coordinates of a
 * record the route gave up on (what an event source mapping's on-failure destination receives), so one
 * consumer's failures are counted, alarmed on and read apart from the others'.
 */
export function makeSqsStreamFailures(
  sqs: SQSClient,
  queueUrls: Readonly<Record<string, string>>,
): (failure: StreamFailure) => Promise<void> {
  return async (failure) => {
    const url = queueUrls[failure.consumer];
    if (!url) throw new Error(`no failure queue for stream route ${failure.consumer}`);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(failure) }));
  };
}
