import type { AttributeValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AuditEntry } from '../../domain/audit.ts';
import { INDEX, KEY } from './schema.ts';

/** Audit records are written in the same transaction as the change they describe. */
export function auditPut(tableName: string, entry: AuditEntry): TransactWriteItem {
  return {
    Put: {
      TableName: tableName,
      Item: marshall(
        {
          [KEY.partition]: `AUDIT#${entry.id}`,
          [KEY.sort]: 'AUDIT',
          [INDEX.kind.partition]: 'audit',
          [INDEX.kind.sort]: `${entry.at}#${entry.id}`,
          entry,
        },
        { removeUndefinedValues: true },
      ),
    },
  };
}

export function auditFromItem(item: Record<string, AttributeValue>): AuditEntry {
  return unmarshall(item).entry as AuditEntry;
}
