import {
  type DynamoDBClient,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { KEY } from './schema.ts';

export const mustNotExist = {
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': KEY.partition },
};

export const mustExist = {
  ConditionExpression: 'attribute_exists(#pk)',
  ExpressionAttributeNames: { '#pk': KEY.partition },
};

/**
 * Writes all items or none. When a condition check fails, DynamoDB cancels the whole transaction; that is
 * turned into the domain error `onConditionFailed` returns, anything else is rethrown as is.
 */
export async function transact(
  client: DynamoDBClient,
  items: TransactWriteItem[],
  onConditionFailed: (failed: ReadonlySet<number>) => Error,
): Promise<void> {
  try {
    await client.send(new TransactWriteItemsCommand({ TransactItems: items }));
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    // CancellationReasons lists one reason per item, in the order of the items sent.
    const failed = new Set<number>();
    (error.CancellationReasons ?? []).forEach((r, i) => {
      if (r.Code === 'ConditionalCheckFailed') failed.add(i);
    });
    throw failed.size > 0 ? onConditionFailed(failed) : error;
  }
}

/** Writes all items or none; false when a condition check failed (nothing was written), true otherwise. */
export async function transactIfConditions(
  client: DynamoDBClient,
  items: TransactWriteItem[],
): Promise<boolean> {
  const failed = new Error('condition failed');
  try {
    await transact(client, items, () => failed);
    return true;
  } catch (error) {
    if (error === failed) return false;
    throw error;
  }
}
