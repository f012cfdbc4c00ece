import { startFauxqs } from 'fauxqs';

export const WRITE_QUEUE_NAME = 'ferry-writes.fifo';

export interface LocalQueues {
  endpoint: string;
  writeQueueUrl: string;
  stop(): Promise<void>;
}

/** fauxqs (in-process SQS emulator) with the FIFO queue that carries every gitops write. */
export async function startLocalQueues(port = 0): Promise<LocalQueues> {
  const server = await startFauxqs({ port, logger: false });
  const { queueUrl } = server.createQueue(WRITE_QUEUE_NAME, {
    attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false', VisibilityTimeout: '60' },
  });
  return { endpoint: server.address, writeQueueUrl: queueUrl, stop: () => server.stop() };
}
