import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { TokenGrant, User, UserStore } from '../../app/ports.ts';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import { auditPut } from './audit-items.ts';
import { INDEX, KEY, TTL_ATTRIBUTE } from './schema.ts';
import { mustExist, mustNotExist, transact } from './transact.ts';

const userKey = (login: string) => marshall({ [KEY.partition]: `USER#${login}`, [KEY.sort]: 'USER' });
const tokenKey = (hash: string) => marshall({ [KEY.partition]: `TOKEN#${hash}`, [KEY.sort]: 'TOKEN' });

export function makeDynamoUserStore(client: DynamoDBClient, tableName: string): UserStore {
  const userItem = (user: User, tokenHash: string) =>
    marshall(
      {
        [KEY.partition]: `USER#${user.login}`,
        [KEY.sort]: 'USER',
        [INDEX.kind.partition]: 'user',
        [INDEX.kind.sort]: user.login,
        user,
        tokenHash,
      },
      { removeUndefinedValues: true },
    );

  const grantItem = (user: User, tokenHash: string) => {
    const grant: TokenGrant = { login: user.login, role: user.role, tokenId: user.tokenId };
    if (user.environments) grant.environments = user.environments;
    if (user.expiresAt) grant.expiresAt = user.expiresAt;
    return marshall(
      {
        [KEY.partition]: `TOKEN#${tokenHash}`,
        [KEY.sort]: 'TOKEN',
        grant,
        ...(user.expiresAt ? { [TTL_ATTRIBUTE]: Math.ceil(Date.parse(user.expiresAt) / 1000) } : {}),
      },
      { removeUndefinedValues: true },
    );
  };

  async function readUser(login: string): Promise<{ user: User; tokenHash: string } | undefined> {
    const out = await client.send(
      new GetItemCommand({ TableName: tableName, Key: userKey(login), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const record = unmarshall(out.Item);
    return { user: record.user as User, tokenHash: record.tokenHash as string };
  }

  return {
    async create(user, tokenHash, audit) {
      await transact(
        client,
        [
          { Put: { TableName: tableName, Item: userItem(user, tokenHash), ...mustNotExist } },
          { Put: { TableName: tableName, Item: grantItem(user, tokenHash), ...mustNotExist } },
          auditPut(tableName, audit),
        ],
        () => new ConflictError(`user ${user.login} already exists`),
      );
    },

    async get(login) {
      return (await readUser(login))?.user;
    },

    async list() {
      const users: User[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: INDEX.kind.name,
            KeyConditionExpression: '#pk = :user',
            ExpressionAttributeNames: { '#pk': INDEX.kind.partition },
            ExpressionAttributeValues: { ':user': { S: 'user' } },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) users.push(unmarshall(item).user as User);
        start = out.LastEvaluatedKey;
      } while (start);
      return users;
    },

    async delete(login, audit) {
      const existing = await readUser(login);
      if (!existing) return false;
      try {
        await transact(
          client,
          [
            { Delete: { TableName: tableName, Key: userKey(login), ...mustExist } },
            { Delete: { TableName: tableName, Key: tokenKey(existing.tokenHash) } },
            auditPut(tableName, audit),
          ],
          () => new NotFoundError(`user ${login} not found`),
        );
        return true;
      } catch (error) {
        // Deleted concurrently between our read and the write: the outcome the caller wanted.
        if (error instanceof NotFoundError) return false;
        throw error;
      }
    },

    async replaceToken(login, tokenId, tokenHash, audit) {
      const existing = await readUser(login);
      if (!existing) throw new NotFoundError(`user ${login} not found`);
      const user: User = { ...existing.user, tokenId };
      await transact(
        client,
        [
          {
            // Guards against a concurrent replace: only the token we read is swapped out.
            Put: {
              TableName: tableName,
              Item: userItem(user, tokenHash),
              ConditionExpression: 'tokenHash = :old',
              ExpressionAttributeValues: { ':old': { S: existing.tokenHash } },
            },
          },
          { Delete: { TableName: tableName, Key: tokenKey(existing.tokenHash) } },
          { Put: { TableName: tableName, Item: grantItem(user, tokenHash), ...mustNotExist } },
          auditPut(tableName, audit),
        ],
        () => new ConflictError(`token of ${login} changed meanwhile; retry`),
      );
      return user;
    },

    async createGrant(tokenHash, grant, audit) {
      if (!grant.expiresAt) throw new Error('a grant without a user must expire');
      await transact(
        client,
        [
          {
            Put: {
              TableName: tableName,
              Item: marshall(
                {
                  [KEY.partition]: `TOKEN#${tokenHash}`,
                  [KEY.sort]: 'TOKEN',
                  grant,
                  // DynamoDB removes it some time after; the authenticator refuses it from expiresAt on.
                  [TTL_ATTRIBUTE]: Math.ceil(Date.parse(grant.expiresAt) / 1000),
                },
                { removeUndefinedValues: true },
              ),
              ...mustNotExist,
            },
          },
          auditPut(tableName, audit),
        ],
        () => new ConflictError('token collision; retry'),
      );
    },

    async findGrant(tokenHash) {
      const out = await client.send(
        new GetItemCommand({ TableName: tableName, Key: tokenKey(tokenHash), ConsistentRead: true }),
      );
      return out.Item ? (unmarshall(out.Item).grant as TokenGrant) : undefined;
    },
  };
}
