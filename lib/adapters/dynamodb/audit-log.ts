import { type DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { AuditLog } from '../../app/ports.ts';
import { auditFromItem, auditPut } from './audit-items.ts';
import { INDEX } from './schema.ts';

export function makeDynamoAuditLog(client: DynamoDBClient, tableName: string): AuditLog {
  return {
    async list(limit) {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: INDEX.kind.name,
          KeyConditionExpression: '#pk = :audit',
          ExpressionAttributeNames: { '#pk': INDEX.kind.partition },
          ExpressionAttributeValues: { ':audit': { S: 'audit' } },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map(auditFromItem);
    },
    async record(entry) {
      const put = auditPut(tableName, entry).Put;
      if (!put) throw new Error('auditPut must build a Put');
      await client.send(new PutItemCommand({ TableName: tableName, Item: put.Item }));
    },
  };
}
