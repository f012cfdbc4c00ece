import { randomUUID } from 'node:crypto';
import { type DynamoDBClient, QueryCommand, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Announcement, GovernanceStore } from '../../app/ports.ts';
import type { AuditEntry } from '../../domain/audit.ts';
import { ConflictError } from '../../domain/errors.ts';
import type { ApprovalRule, Decision, FreezeWindow, Halt, Override } from '../../domain/gate.ts';
import { auditPut } from './audit-items.ts';
import { KEY, TTL_ATTRIBUTE } from './schema.ts';
import { transact, transactIfConditions } from './transact.ts';

/**
 * Items (pk / sk):
 *   GOVERNANCE       / HALT#<env|*>        a stopped environment (stop-the-line)
 *   GOVERNANCE       / FREEZE#<id>         a freeze window
 *   GOVERNANCE       / APPROVAL#<env>      an environment's approval rule
 *   GATE#<requestId> / DECISION#<login>    one person's latest approval or rejection of a request
 *   GATE#<requestId> / OVERRIDE            an admin's freeze override
 *   ANNOUNCE#<uuid>  / ANNOUNCE            a message for Slack (the notifier's stream filter passes it)
 * The GOVERNANCE partition is read whole: a handful of items per install.
 */
export const ANNOUNCE_PREFIX = 'ANNOUNCE#';
const SETTINGS = 'GOVERNANCE';
/** Announcements only need to live until the notifier read them from the stream (24 h). */
const ANNOUNCE_SECONDS = 2 * 86_400;
const key = (pk: string, sk: string) => marshall({ [KEY.partition]: pk, [KEY.sort]: sk });

export function makeDynamoGovernanceStore(client: DynamoDBClient, tableName: string): GovernanceStore {
  const query = async (pk: string) => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': KEY.partition },
          ExpressionAttributeValues: marshall({ ':pk': pk }),
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []).map((i) => unmarshall(i)));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  };
  const put = (pk: string, sk: string, value: Record<string, unknown>): TransactWriteItem => ({
    Put: {
      TableName: tableName,
      Item: { ...key(pk, sk), ...marshall(value, { removeUndefinedValues: true }) },
    },
  });
  const announce = (a: Announcement | undefined, at: string): TransactWriteItem[] =>
    a
      ? [
          put(`${ANNOUNCE_PREFIX}${randomUUID()}`, 'ANNOUNCE', {
            announcement: a,
            [TTL_ATTRIBUTE]: Math.floor(Date.parse(at) / 1000) + ANNOUNCE_SECONDS,
          }),
        ]
      : [];
  const write = (items: TransactWriteItem[]) =>
    transact(client, items, () => new ConflictError('governance changed meanwhile; retry'));
  const remove = async (sk: string, audit: AuditEntry, announcement?: Announcement) => {
    const [item] = (await query(SETTINGS)).filter((i) => i[KEY.sort] === sk);
    if (!item) return undefined;
    const ok = await transactIfConditions(client, [
      {
        Delete: {
          TableName: tableName,
          Key: key(SETTINGS, sk),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': KEY.partition },
        },
      },
      auditPut(tableName, audit),
      ...announce(announcement, audit.at),
    ]);
    return ok ? item : undefined;
  };

  return {
    async settings() {
      const items = await query(SETTINGS);
      const of = (prefix: string) => items.filter((i) => String(i[KEY.sort]).startsWith(prefix));
      return {
        halts: of('HALT#').map((i) => i.halt as Halt),
        freezes: of('FREEZE#').map((i) => i.freeze as FreezeWindow),
        approvalRules: of('APPROVAL#').map((i) => i.rule as ApprovalRule),
      };
    },
    async putHalt(halt, audit, announcement) {
      await write([
        put(SETTINGS, `HALT#${halt.env}`, { halt }),
        auditPut(tableName, audit),
        ...announce(announcement, audit.at),
      ]);
    },
    async deleteHalt(env, audit, announcement) {
      return (await remove(`HALT#${env}`, audit, announcement))?.halt as Halt | undefined;
    },
    async putFreeze(freeze, audit) {
      await write([put(SETTINGS, `FREEZE#${freeze.id}`, { freeze }), auditPut(tableName, audit)]);
    },
    async deleteFreeze(id, audit) {
      return (await remove(`FREEZE#${id}`, audit)) !== undefined;
    },
    async putApprovalRule(rule, audit) {
      await write([put(SETTINGS, `APPROVAL#${rule.env}`, { rule }), auditPut(tableName, audit)]);
    },
    async deleteApprovalRule(env, audit) {
      return (await remove(`APPROVAL#${env}`, audit)) !== undefined;
    },
    async gateOf(requestId) {
      const items = await query(`GATE#${requestId}`);
      const override = items.find((i) => i[KEY.sort] === 'OVERRIDE')?.override as Override | undefined;
      return {
        decisions: items
          .filter((i) => String(i[KEY.sort]).startsWith('DECISION#'))
          .map((i) => i.decision as Decision),
        ...(override ? { override } : {}),
      };
    },
    async decide(requestId, decision, audit) {
      await write([
        put(`GATE#${requestId}`, `DECISION#${decision.login}`, { decision }),
        auditPut(tableName, audit),
      ]);
    },
    async putOverride(requestId, override: Override, audit, announcement) {
      await write([
        put(`GATE#${requestId}`, 'OVERRIDE', { override }),
        auditPut(tableName, audit),
        ...announce(announcement, audit.at),
      ]);
    },
  };
}
