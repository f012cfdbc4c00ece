import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { makeSqsWriteQueue } from '../../lib/adapters/sqs/write-queue.ts';
import { messageGroup } from '../../lib/app/dispatch.ts';
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
  it('keeps group and deduplication ids within SQS limits for the longest valid env and app names', async () => {
    // Prepare: two 63-character DNS labels, the longest names the API accepts.
    const env = `e${'n'.repeat(61)}v`;
    const app = `a${'p'.repeat(61)}p`;
    expect(parseTarget({ env, app })).toEqual({ env, app });
    const twin = `${app.slice(0, -1)}q`;
    const repo = `https://github.com/${'o'.repeat(39)}/${'r'.repeat(100)}.git`;
    const { queue, entries } = capturingQueue();
    // Act
    const failed = await queue.send([
      { requestId: 'policy-0123456789abcdef0123456789abcdef', groupId: messageGroup(repo, 'main', env, app) },
      { requestId: `r-${'x'.repeat(200)}`, groupId: messageGroup(repo, 'main', env, twin) },
    ]);
    // Assess: valid ids, still distinct, readable when short enough to be kept.
    expect(failed).toEqual([]);
    expect(messageGroup(repo, 'main', env, app).length).toBeGreaterThan(128);
    for (const e of entries) {
      expect(e.MessageGroupId).toMatch(SQS_ID);
      expect(e.MessageDeduplicationId).toMatch(SQS_ID);
    }
    expect(entries[0]?.MessageGroupId).not.toBe(entries[1]?.MessageGroupId);
    expect(entries[0]?.MessageDeduplicationId).toBe('policy-0123456789abcdef0123456789abcdef');
    const { queue: short, entries: plain } = capturingQueue();
    await short.send([{ requestId: 'r1', groupId: messageGroup(repo, 'main', 'staging', 'web') }]);
    expect(plain[0]?.MessageGroupId).toMatch(/^[0-9a-f]{16}:staging\/web$/);
  });
});
