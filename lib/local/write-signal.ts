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
  /** How many writes this client has made; a wait given an older count returns at once. */
  readonly count: number;
  /** Resolves at the next write after `since`, or after `ms`, whichever comes first. */
  wait(since: number, ms: number): Promise<void>;
}

/** Counts the writes `client` makes (an SDK middleware), for the pollers of the same process. */
export function watchWrites(client: DynamoDBClient): WriteSignal {
  let count = 0;
  const waiters = new Set<() => void>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (WRITES.has(String(context.commandName))) {
        count += 1;
        for (const wake of waiters) wake();
        waiters.clear();
      }
      return out;
    },
    { step: 'initialize', name: 'ferryLocalWriteSignal' },
  );
  return {
    get count() {
      return count;
    },
    wait(since, ms) {
      if (count !== since) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        // A poller that was stopped mid-wait must not hold the process open for the rest of it.
        timer.unref();
        waiters.add(done);
      });
    },
  };
}
