import { startFauxqs } from 'fauxqs';

export const WRITE_QUEUE_NAME = 'ferry-writes.fifo';
export const WRITE_DLQ_NAME = 'ferry-writes-dlq.fifo';
/** Locally a failed write comes back after 10 s; after 5 receives it goes to the dead-letter queue. */
const LOCAL_VISIBILITY_SECONDS = '10';
const MAX_RECEIVES = '5';

export interface LocalQueues {
  endpoint: string;
  writeQueueUrl: string;
  deadLetterQueueUrl: string;
  stop(): Promise<void>;
}

/** fauxqs (in-process SQS emulator) with the FIFO queue that carries every gitops write, and its DLQ. */
export async function startLocalQueues(port = 0): Promise<LocalQueues> {
  const server = await startFauxqs({ port, logger: false });
  const fifo = { FifoQueue: 'true', ContentBasedDeduplication: 'false' };
  const dlq = server.createQueue(WRITE_DLQ_NAME, { attributes: fifo });
  const { queueUrl } = server.createQueue(WRITE_QUEUE_NAME, {
    attributes: {
      ...fifo,
      VisibilityTimeout: LOCAL_VISIBILITY_SECONDS,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: MAX_RECEIVES }),
    },
  });
  return {
    endpoint: server.address,
    writeQueueUrl: queueUrl,
    deadLetterQueueUrl: dlq.queueUrl,
    stop: () => server.stop(),
  };
}
