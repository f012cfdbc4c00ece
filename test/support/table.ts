import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { localDynamoClient } from '../../lib/local/dynamodb-local.ts';

/** Counts every item in a test table: how tests prove that a refused request wrote nothing. */
export async function countItems(tableName: string): Promise<number> {
  const client = localDynamoClient(inject('dynamoEndpoint'));
  try {
    const out = await client.send(
      new ScanCommand({ TableName: tableName, Select: 'COUNT', ConsistentRead: true }),
    );
    return out.Count ?? 0;
  } finally {
    client.destroy();
  }
}
