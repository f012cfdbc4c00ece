import { type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { PolicyStore } from '../../app/ports.ts';
import { ConflictError } from '../../domain/errors.ts';
import type { PolicyRule } from '../../domain/policy-rules.ts';
import { auditPut } from './audit-items.ts';
import { KEY } from './schema.ts';
import { transact, transactIfConditions } from './transact.ts';

/** Items: `POLICY` / `<rule id>`: one partition, read whole (a handful of rules per install). */
const PARTITION = 'POLICY';
const key = (id: string) => marshall({ [KEY.partition]: PARTITION, [KEY.sort]: id });

export function makeDynamoPolicyStore(client: DynamoDBClient, tableName: string): PolicyStore {
  return {
    async list() {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': KEY.partition },
          ExpressionAttributeValues: marshall({ ':pk': PARTITION }),
          ConsistentRead: true,
        }),
      );
      return (out.Items ?? []).map((item) => unmarshall(item).rule as PolicyRule);
    },

    async put(rule, audit) {
      await transact(
        client,
        [
          {
            Put: {
              TableName: tableName,
              Item: { ...key(rule.id), ...marshall({ rule }, { removeUndefinedValues: true }) },
            },
          },
          auditPut(tableName, audit),
        ],
        () => new ConflictError('policy changed meanwhile; retry'),
      );
    },

    async delete(id, audit) {
      return transactIfConditions(client, [
        {
          Delete: {
            TableName: tableName,
            Key: key(id),
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': KEY.partition },
          },
        },
        auditPut(tableName, audit),
      ]);
    },
  };
}
