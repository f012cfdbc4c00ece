import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { envKey, fluxEventBody, postFluxEvent, sign } from '../support/flux.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const KEY = 'notify-stack-hmac';

/** The notifier as the local stack runs it: fed by the table's stream, talking to Slack and GitHub. */
describe('notifications on the local stack', () => {
  let t: TestStack;
  let slack: FakeSlack;
  let github: FakeGitHub;
  beforeAll(async () => {
    slack = await startFakeSlack('xoxb-stack');
    github = await startFakeGitHub('ghp_stack');
    t = await startTestStack({
      fluxHmacKey: KEY,
      notify: {
        slack: {
          token: 'xoxb-stack',
          apiUrl: slack.url,
          channels: { '*': '#deploys' },
          retry: { minDelayMs: 10, maxDelayMs: 50 },
        },
        github: { token: 'ghp_stack', baseUrl: github.url, retry: { minDelayMs: 10, maxDelayMs: 50 } },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await slack?.close();
    await github?.close();
  });

  async function until<T>(read: () => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = read();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('one Slack message updated in place, and pending then success on the app commit', async () => {
    const shipped = await t.ship(artifact({ repositoryName: 'acme/api', message: 'Add retries' }));
    const created = await t.request('POST', '/api/releases', {
      body: { env: 'staging', app: 'api', artifactId: shipped.id },
    });
    const committed = await t.settle(created.body.id);
    const body = fluxEventBody({
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 1.2s, next run in 10m0s',
      metadata: { revision: `main@sha1:${committed.gitopsSha}` },
    });
    expect(
      (
        await postFluxEvent(t.url, body, {
          signature: sign(body, envKey(KEY, 'staging')),
          query: 'env=staging',
        })
      ).status,
    ).toBe(200);

    const sha = shipped.version.sha;
    const statuses = await until(
      () => (github.statuses.filter((s) => s.sha === sha).length === 2 ? github.statuses : undefined),
      'two commit statuses',
    );
    expect(statuses.map((s) => [s.owner, s.repo, s.context, s.state])).toEqual([
      ['acme', 'api', 'ferry/staging', 'pending'],
      ['acme', 'api', 'ferry/staging', 'success'],
    ]);
    const message = await until(
      () => [...slack.messages.values()].find((m) => /succeeded/i.test(m.text)),
      'the Slack message to say succeeded',
    );
    expect([...slack.messages.values()]).toHaveLength(1);
    expect(message.text).toContain('*api*');
    expect(message.text).toContain('*staging*');
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
    expect(t.logs.join('\n')).not.toMatch(/xoxb-stack|ghp_stack/);
  });
});
