import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The commands that can add a record to the table's stream. */
const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
  'ExecuteStatementCommand',
  'BatchExecuteStatementCommand',
  'ExecuteTransactionCommand',
]);

/**
 * Tells the local stream poller that the table was written, so it can wait long between empty reads and
 * still pick a record up at once. An idle stack polling DynamoDB Local's stream every 50 ms cost its JVM
 * about 7% of a core; the test suite keeps three stacks up at a time.
 */
export interface WriteSignal {
  /** How many writes this client has made. */
  readonly count: number;
  /** Calls `listener` after each write until the function it returns is called. */
  onWrite(listener: () => void): () => void;
}

/** Counts the writes `client` makes (an SDK middleware), for the pollers of the same process. */
export function watchWrites(client: DynamoDBClient): WriteSignal {
  let count = 0;
  const listeners = new Set<() => void>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (WRITES.has(String(context.commandName))) {
        count += 1;
        // A copy: a listener may remove itself while being called.
        for (const listener of [...listeners]) listener();
      }
      return out;
    },
    { step: 'initialize', name: 'ferryLocalWriteSignal' },
  );
  return {
    get count() {
      return count;
    },
    onWrite(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
