import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { FluxEnvironment, FluxStore, StoredFluxEvent } from '../../app/ports.ts';
import { KEY, TTL_ATTRIBUTE } from './schema.ts';
import { mustNotExist, transactIfConditions } from './transact.ts';

/**
 * Items (pk / sk):
 *   FLUXEVENT#<env> / <body hash>   one event as received (kept EVENT_DAYS); its INSERT feeds the status processor
 *   ENV#<env>       / FLUX          the environment's Flux connection: first and last event, last revision
 * A retried delivery resends the same bytes, so the body hash makes the put conditional and the
 * duplicate is dropped before anything reads it.
 */
export const FLUX_EVENT_PREFIX = 'FLUXEVENT#';
const EVENT_DAYS = 30;

const key = (pk: string, sk: string) => marshall({ [KEY.partition]: pk, [KEY.sort]: sk });
const envKey = (env: string) => key(`ENV#${env}`, 'FLUX');

export function makeDynamoFluxStore(client: DynamoDBClient, tableName: string): FluxStore {
  return {
    async record(stored, revision) {
      const expires = Math.floor(Date.parse(stored.receivedAt) / 1000) + EVENT_DAYS * 86_400;
      const last: Record<string, string> = { ':at': stored.receivedAt, ':reason': stored.event.reason };
      if (revision) last[':revision'] = revision;
      // A condition failure means these bytes were stored before: a duplicate delivery.
      return transactIfConditions(client, [
        {
          Put: {
            TableName: tableName,
            Item: {
              ...key(`${FLUX_EVENT_PREFIX}${stored.env}`, stored.id),
              ...marshall({ stored, [TTL_ATTRIBUTE]: expires }, { removeUndefinedValues: true }),
            },
            ...mustNotExist,
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: envKey(stored.env),
            UpdateExpression: `SET #connected = if_not_exists(#connected, :at), #last = :at, #reason = :reason${
              revision ? ', #revision = :revision' : ''
            }`,
            ExpressionAttributeNames: {
              '#connected': 'connectedAt',
              '#last': 'lastEventAt',
              '#reason': 'lastReason',
              ...(revision ? { '#revision': 'lastRevision' } : {}),
            },
            ExpressionAttributeValues: marshall(last),
          },
        },
      ]);
    },

    async environment(env) {
      const out = await client.send(new GetItemCommand({ TableName: tableName, Key: envKey(env) }));
      if (!out.Item) return undefined;
      const item = unmarshall(out.Item);
      const found: FluxEnvironment = {
        env,
        connectedAt: item.connectedAt as string,
        lastEventAt: item.lastEventAt as string,
      };
      if (item.lastRevision) found.lastRevision = item.lastRevision as string;
      if (item.lastReason) found.lastReason = item.lastReason as string;
      return found;
    },
  };
}

/** The stored event from a stream record's new image. */
export function storedFluxEvent(image: Record<string, unknown>): StoredFluxEvent | undefined {
  const stored = image.stored as StoredFluxEvent | undefined;
  return stored?.event ? stored : undefined;
}
