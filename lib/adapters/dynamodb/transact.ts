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
  onConditionFailed: () => Error,
): Promise<void> {
  try {
    await client.send(new TransactWriteItemsCommand({ TransactItems: items }));
  } catch (error) {
    const conditionFailed =
      error instanceof TransactionCanceledException &&
      (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');
    throw conditionFailed ? onConditionFailed() : error;
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
