import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { makeSqsWriteQueue } from '../../lib/adapters/sqs/write-queue.ts';
import { messageGroup, repoKey } from '../../lib/app/dispatch.ts';
import { parseTarget } from '../../lib/domain/release-input.ts';

/** SQS: up to 128 characters of a-z, A-Z, 0-9 and punctuation, for MessageGroupId and MessageDeduplicationId. */
const SQS_ID = /^[a-zA-Z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

function capturingQueue() {
  const entries: { MessageGroupId: string; MessageDeduplicationId: string }[] = [];
  const sqs = {
    send: async (command: { input: { Entries: (typeof entries)[number][] } }) => {
      entries.push(...command.input.Entries);
      return { Successful: [], Failed: [] };
    },
  } as unknown as SQSClient;
  return { queue: makeSqsWriteQueue(sqs, 'https://sqs.local/q.fifo'), entries };
}

describe('the write queue ids', () => {
  it('keeps group and deduplication ids within SQS limits for the longest valid names and URLs', async () => {
    // Prepare: two 63-character DNS labels (the longest names the API accepts) in two long repository URLs.
    const env = `e${'n'.repeat(61)}v`;
    const app = `a${'p'.repeat(61)}p`;
    expect(parseTarget({ env, app })).toEqual({ env, app });
    const repo = `https://github.com/${'o'.repeat(39)}/${'r'.repeat(100)}.git`;
    const other = `https://github.com/${'o'.repeat(39)}/${'s'.repeat(100)}.git`;
    const { queue, entries } = capturingQueue();
    // Act
    const failed = await queue.send([
      {
        requestId: 'policy-0123456789abcdef0123456789abcdef',
        groupId: messageGroup(repoKey(repo, 'main')),
        orderKey: `${env}/${app}`,
      },
      {
        requestId: `r-${'x'.repeat(200)}`,
        groupId: messageGroup(repoKey(other, 'main')),
        orderKey: `${env}/${app}`,
      },
    ]);
    // Assess: valid ids, still distinct per repository, the same for one repository's branch.
    expect(failed).toEqual([]);
    for (const e of entries) {
      expect(e.MessageGroupId).toMatch(SQS_ID);
      expect(e.MessageDeduplicationId).toMatch(SQS_ID);
    }
    expect(entries[0]?.MessageGroupId).not.toBe(entries[1]?.MessageGroupId);
    expect(entries[0]?.MessageDeduplicationId).toBe('policy-0123456789abcdef0123456789abcdef');
    expect(messageGroup(repoKey(repo, 'main'))).toBe(messageGroup(repoKey(repo, 'main')));
    expect(messageGroup(repoKey(repo, 'main'))).not.toBe(messageGroup(repoKey(repo, 'other')));
  });

  it('sends apps of one repository together, but never two requests of one app in one call', async () => {
    const calls: string[][] = [];
    const sqs = {
      send: async (command: { input: { Entries: { MessageBody: string }[] } }) => {
        calls.push(command.input.Entries.map((e) => JSON.parse(e.MessageBody).requestId));
        return { Successful: [], Failed: [] };
      },
    } as unknown as SQSClient;
    const group = messageGroup(repoKey('https://git.example/gitops.git', 'main'));
    await makeSqsWriteQueue(sqs, 'q.fifo').send([
      { requestId: 'web-1', groupId: group, orderKey: 'staging/web' },
      { requestId: 'api-1', groupId: group, orderKey: 'staging/api' },
      { requestId: 'web-2', groupId: group, orderKey: 'staging/web' },
    ]);
    expect(calls).toEqual([['web-1', 'api-1'], ['web-2']]);
  });
});
