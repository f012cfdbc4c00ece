import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { NotificationStore, SlackMessageRef } from '../../app/notify-ports.ts';
import { KEY, TTL_ATTRIBUTE } from './schema.ts';
import { mustNotExist } from './transact.ts';

/**
 * Items (pk / sk):
 *   NOTIFY#<requestId> / SLACK   the Slack message that tells the request's story (expires after 90 days)
 * Not `REQUEST#…`: the notifier's own writes must not match its stream filter and wake it again.
 */
const KEEP_SECONDS = 90 * 24 * 3600;

export function makeDynamoNotificationStore(client: DynamoDBClient, tableName: string): NotificationStore {
  const key = (requestId: string) =>
    marshall({ [KEY.partition]: `NOTIFY#${requestId}`, [KEY.sort]: 'SLACK' });

  async function slackMessage(requestId: string): Promise<SlackMessageRef | undefined> {
    const out = await client.send(
      new GetItemCommand({ TableName: tableName, Key: key(requestId), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { channel, ts } = unmarshall(out.Item) as SlackMessageRef;
    return { channel, ts };
  }

  return {
    slackMessage,
    async rememberSlackMessage(requestId, message, at) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...key(requestId),
              ...marshall({
                channel: message.channel,
                ts: message.ts,
                [TTL_ATTRIBUTE]: Math.floor(at.getTime() / 1000) + KEEP_SECONDS,
              }),
            },
            ...mustNotExist,
          }),
        );
        return message;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return (await slackMessage(requestId)) ?? message;
      }
    },
  };
}
