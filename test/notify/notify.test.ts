import { randomUUID } from 'node:crypto';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { makeHandler } from '../../functions/stream-notify.ts';
import { makeDynamoArtifactStore } from '../../lib/adapters/dynamodb/artifact-store.ts';
import { ensureTable } from '../../lib/adapters/dynamodb/create-table.ts';
import { makeDynamoNotificationStore } from '../../lib/adapters/dynamodb/notification-store.ts';
import type { RequestChange } from '../../lib/app/notify.ts';
import {
  githubCommitUrl,
  lambdaNotifyDeps,
  makeNotifyDeps,
  type NotifyWiring,
} from '../../lib/compose/notify.ts';
import { ConfigError } from '../../lib/config/env.ts';
import { matchesFilter, NOTIFY_FILTER } from '../../lib/config/stream-filters.ts';
import type { Artifact } from '../../lib/domain/artifact.ts';
import { advance, type ReleaseRequest, type StateChange } from '../../lib/domain/release.ts';
import { localDynamoClient } from '../../lib/local/dynamodb-local.ts';
import { makeLogger } from '../../lib/log/logger.ts';
import { artifact as artifactBody, storeArtifact as storeArtifactIn } from '../fixtures/artifacts.ts';
import { testClock } from '../support/api.ts';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';

const SLACK_TOKEN = 'xoxb-test-slack-token';
const GITHUB_TOKEN = 'ghp_testgithubtoken';
const GITOPS = 'https://github.com/acme/gitops';
const FAST = { retries: 2, minDelayMs: 1, maxDelayMs: 5 };

describe('the notifier', () => {
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const tableName = `n-${randomUUID()}`;
  const artifacts = makeDynamoArtifactStore(dynamo, tableName);
  const clock = testClock();
  let slack: FakeSlack;
  let github: FakeGitHub;
  let logs: string[];
  let sequence = 0;

  /** The notifier handler as the Lambda builds it, pointed at the fake Slack and GitHub. */
  const notifier = (overrides: Partial<NotifyWiring> = {}) =>
    makeHandler(
      makeNotifyDeps({
        dynamo,
        tableName,
        clock,
        logger: makeLogger((line) => logs.push(line)),
        slack: {
          token: SLACK_TOKEN,
          apiUrl: slack.url,
          channels: { staging: '#staging', '*': '#deploys' },
          retry: FAST,
        },
        // Unpaced: test/adapters/commit-status.test.ts checks GitHub's pace.
        github: { token: GITHUB_TOKEN, baseUrl: github.url, retry: FAST, writesPerMinute: 60_000 },
        gitopsRepoUrl: `${GITOPS}.git`,
        ...overrides,
      }),
    );

  /** MODIFY records of REQUEST items as DynamoDB Streams delivers them (NEW_AND_OLD_IMAGES). */
  function streamEvent(changes: RequestChange[]): DynamoDBStreamEvent {
    const image = (request: ReleaseRequest) =>
      marshall(
        { pk: `REQUEST#${request.id}`, sk: 'REQUEST', request, state: request.state },
        { removeUndefinedValues: true },
      );
    const records = changes.map(({ before, after }) => {
      sequence += 1;
      return {
        eventID: `e${sequence}`,
        eventName: 'MODIFY',
        eventSource: 'aws:dynamodb',
        dynamodb: {
          Keys: marshall({ pk: `REQUEST#${after.id}`, sk: 'REQUEST' }),
          ...(before ? { OldImage: image(before) } : {}),
          NewImage: image(after),
          SequenceNumber: String(sequence).padStart(21, '0'),
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
      };
    });
    for (const record of records) expect(matchesFilter(NOTIFY_FILTER, record)).toBe(true);
    return { Records: records } as unknown as DynamoDBStreamEvent;
  }

  async function storeArtifact(version: Record<string, unknown> = {}): Promise<Artifact> {
    return storeArtifactIn(artifacts, clock, artifactBody(version), 'ci');
  }

  function request(fields: Partial<ReleaseRequest> = {}): ReleaseRequest {
    const at = clock.now().toISOString();
    return {
      id: randomUUID(),
      intent: 'deploy',
      env: 'staging',
      app: 'api',
      triggeredBy: 'alice',
      createdAt: at,
      state: 'requested',
      states: [{ state: 'requested', at }],
      ...fields,
    };
  }

  /** The changes a request goes through, each with the request before and after it. */
  function lifecycle(start: ReleaseRequest, ...steps: Omit<StateChange, 'at'>[]): RequestChange[] {
    const changes: RequestChange[] = [];
    let current = start;
    for (const step of steps) {
      const next = advance(current, { ...step, at: clock.now().toISOString() });
      if (!next) throw new Error(`cannot move ${current.state} → ${step.state}`);
      changes.push({ before: current, after: next });
      current = next;
    }
    return changes;
  }

  /** The structured log records, to look for fields rather than wording. */
  const records = () => logs.map((line) => JSON.parse(line) as Record<string, unknown>);
  const gitopsSha = () => randomUUID().replace(/-/g, '').padEnd(40, 'e');
  const posts = () => slack.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 200);
  const updates = () => slack.calls.filter((c) => c.method === 'chat.update' && c.status === 200);
  const onlyMessage = () => {
    expect(slack.messages.size).toBe(1);
    return [...slack.messages.values()][0]?.text ?? '';
  };

  beforeAll(async () => {
    await ensureTable(dynamo, tableName);
  });
  beforeEach(async () => {
    logs = [];
    slack = await startFakeSlack(SLACK_TOKEN);
    github = await startFakeGitHub(GITHUB_TOKEN);
  });
  afterEach(async () => {
    // No test, passing or failing, may leave a token in the log.
    expect(logs.join('\n')).not.toContain(SLACK_TOKEN);
    expect(logs.join('\n')).not.toContain(GITHUB_TOKEN);
    await slack.close();
    await github.close();
  });
  afterAll(() => dynamo.destroy());

  it('tells a release that succeeds in one Slack message updated in place, and pending then success on its commit', async () => {
    // Prepare
    const shipped = await storeArtifact({
      message: 'Fix the login page\n\nThe long story of the fix.',
      url: 'https://github.com/acme/api/commit/abc',
    });
    const sha = gitopsSha();
    const changes = lifecycle(
      request({ artifactId: shipped.id }),
      { state: 'queued' },
      { state: 'committed', gitopsSha: sha },
      { state: 'reconciling' },
      { state: 'succeeded' },
    );
    const handle = notifier();
    // Act: one stream batch per change, as the states are reached minutes apart.
    const responses = [];
    for (const change of changes) responses.push(await handle(streamEvent([change])));
    // Assess
    expect(responses.every((r) => r.batchItemFailures.length === 0)).toBe(true);
    expect(posts()).toHaveLength(1);
    expect(updates()).toHaveLength(2);
    expect(posts()[0]).toMatchObject({
      authorization: `Bearer ${SLACK_TOKEN}`,
      contentType: 'application/x-www-form-urlencoded',
      fields: { channel: '#staging' },
    });
    const short = shipped.version.sha.slice(0, 7);
    expect(onlyMessage()).toBe(
      [
        ':white_check_mark: Deploy of *api* to *staging* succeeded',
        `*Version:* <https://github.com/acme/api/commit/abc|${short}> on \`main\`: Fix the login page`,
        `*Gitops commit:* <${GITOPS}/commit/${sha}|${sha.slice(0, 7)}>`,
        'Requested by alice',
      ].join('\n'),
    );
    expect(github.statuses).toEqual([
      {
        owner: 'acme',
        repo: 'api',
        sha: shipped.version.sha,
        state: 'pending',
        context: 'ferry/staging',
        description: 'Committed to staging; waiting for Flux to apply it',
        target_url: `${GITOPS}/commit/${sha}`,
      },
      {
        owner: 'acme',
        repo: 'api',
        sha: shipped.version.sha,
        state: 'success',
        context: 'ferry/staging',
        description: 'Flux applied it to staging',
        target_url: `${GITOPS}/commit/${sha}`,
      },
    ]);
    expect(github.calls.every((c) => c.authorization === `token ${GITHUB_TOKEN}`)).toBe(true);
  });

  it("carries Flux's reason to Slack and to a failure status when a committed release fails", async () => {
    const shipped = await storeArtifact();
    const reason = `HelmRelease staging/api: install retries exhausted: ${'timed out waiting for the condition; '.repeat(5)}`;
    const changes = lifecycle(
      request({ artifactId: shipped.id }),
      { state: 'committed', gitopsSha: gitopsSha() },
      { state: 'reconciling' },
      { state: 'failed', reason },
    );
    // All three in one batch: the stream may deliver them together, and they are told in order.
    const response = await notifier()(streamEvent(changes));
    expect(response.batchItemFailures).toEqual([]);
    expect(posts()).toHaveLength(1);
    const text = onlyMessage();
    expect(text).toMatch(
      /^:x: Deploy of \*api\* to \*staging\* failed\n\*Reason:\* HelmRelease staging\/api/,
    );
    expect(github.statuses.map((s) => s.state)).toEqual(['pending', 'failure']);
    const failure = github.statuses[1]?.description ?? '';
    expect(failure.startsWith('Failed in staging: HelmRelease staging/api: install retries exhausted')).toBe(
      true,
    );
    expect(failure).toHaveLength(140);
    expect(failure.endsWith('…')).toBe(true);
  });

  it('tells a request the writer failed before any commit, with its reason and a failure status', async () => {
    const shipped = await storeArtifact();
    const changes = lifecycle(
      request({ artifactId: shipped.id }),
      { state: 'queued' },
      { state: 'failed', reason: 'the manifest for staging/api has no chart or manifests' },
    );
    await notifier()(streamEvent(changes));
    expect(onlyMessage()).toContain('*Reason:* the manifest for staging/api has no chart or manifests');
    expect(onlyMessage()).not.toContain('Gitops commit');
    expect(github.statuses).toMatchObject([
      {
        state: 'failure',
        description: 'Failed in staging: the manifest for staging/api has no chart or manifests',
      },
    ]);
    expect(github.statuses[0]).not.toHaveProperty('target_url');
  });

  it('says a deploy changed nothing, with the reason, and sets no commit status', async () => {
    const shipped = await storeArtifact();
    const [change] = lifecycle(request({ artifactId: shipped.id }), {
      state: 'unchanged',
      reason: 'staging/api already holds this release; nothing to commit',
    });
    await notifier()(streamEvent(change ? [change] : []));
    expect(onlyMessage()).toMatch(
      /^:white_circle: Deploy of \*api\* to \*staging\* changed nothing\n\*Reason:\* staging\/api already holds/,
    );
    expect(github.calls).toEqual([]);
  });

  it('retries a 429 after its Retry-After and a 500, and still tells each state exactly once', async () => {
    const shipped = await storeArtifact();
    const changes = lifecycle(
      request({ artifactId: shipped.id }),
      { state: 'committed', gitopsSha: gitopsSha() },
      { state: 'succeeded' },
    );
    const handle = notifier();
    slack.failNext(1, 429);
    slack.failNext(1, 500);
    github.failNext(1, 429);
    github.failNext(1, 500);
    const started = Date.now();
    const first = await handle(streamEvent(changes.slice(0, 1)));
    const waited = Date.now() - started;
    slack.failNext(1, 500);
    github.failNext(1, 403);
    const second = await handle(streamEvent(changes.slice(1)));

    expect([...first.batchItemFailures, ...second.batchItemFailures]).toEqual([]);
    // Retry-After: 1 was honoured (Slack's and GitHub's waits overlap: they are called side by side).
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(slack.calls.map((c) => `${c.method} ${c.status}`)).toEqual([
      'chat.postMessage 429',
      'chat.postMessage 500',
      'chat.postMessage 200',
      'chat.update 500',
      'chat.update 200',
    ]);
    expect(onlyMessage()).toMatch(/^:white_check_mark: .* succeeded\n/);
    expect(github.calls.map((c) => c.status)).toEqual([429, 500, 201, 403, 201]);
    expect(github.statuses.map((s) => s.state)).toEqual(['pending', 'success']);
  });

  it('updates the message it posted, rather than posting again, when a change is delivered twice', async () => {
    const shipped = await storeArtifact();
    const changes = lifecycle(request({ artifactId: shipped.id }), {
      state: 'committed',
      gitopsSha: gitopsSha(),
    });
    const event = streamEvent(changes);
    await notifier()(event);
    // A fresh Lambda instance gets the same record again.
    await notifier()(event);
    expect(posts()).toHaveLength(1);
    expect(updates()).toHaveLength(1);
    expect(slack.messages.size).toBe(1);
  });

  it('keeps the first message remembered for a request when a second delivery remembers another', async () => {
    const store = makeDynamoNotificationStore(dynamo, tableName);
    const id = randomUUID();
    const first = await store.rememberSlackMessage(id, { channel: 'C1', ts: '1.000001' }, clock.now());
    const second = await store.rememberSlackMessage(id, { channel: 'C1', ts: '1.000002' }, clock.now());
    expect(first).toEqual({ channel: 'C1', ts: '1.000001' });
    expect(second).toEqual({ channel: 'C1', ts: '1.000001' });
    expect(await store.slackMessage(id)).toEqual({ channel: 'C1', ts: '1.000001' });
  });

  it('reports a change that still fails after the retries, and the later changes of its request, to the stream', async () => {
    // Prepare: GitHub fails every try for the deploy; the delete of another app needs no status.
    const shipped = await storeArtifact();
    const deploy = lifecycle(
      request({ artifactId: shipped.id }),
      { state: 'committed', gitopsSha: gitopsSha() },
      { state: 'reconciling' },
    );
    const removal = lifecycle(request({ intent: 'delete', app: 'old' }), {
      state: 'committed',
      gitopsSha: gitopsSha(),
    });
    github.failNext(FAST.retries + 1, 500);
    const event = streamEvent([deploy[0], removal[0], deploy[1]].flatMap((c) => (c ? [c] : [])));
    const handle = notifier();
    // Act
    const response = await handle(event);
    // Assess: the deploy's two records go back to the stream; the delete was told.
    const sequences = event.Records.map((r) => r.dynamodb?.SequenceNumber);
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: sequences[0] },
      { itemIdentifier: sequences[2] },
    ]);
    expect(github.calls).toHaveLength(FAST.retries + 1);
    // The operator's trace: an error naming the request (its fields, not its wording).
    expect(records().some((r) => r.level === 'error' && r.requestId === deploy[0]?.after.id)).toBe(true);
    // The stream retries from the first failed record: messages are updated, none is posted again.
    const retried = await handle(event);
    expect(retried.batchItemFailures).toEqual([]);
    expect(posts()).toHaveLength(2);
    expect(updates()).toHaveLength(3);
    expect(github.statuses.map((s) => s.state)).toEqual(['pending']);
    expect([...slack.messages.values()].map((m) => m.text.split('\n')[0]).sort()).toEqual([
      ':arrows_counterclockwise: Deploy of *api* to *staging* is being applied by Flux',
      ':hourglass_flowing_sand: Removal of *old* from *staging* is committed; waiting for Flux',
    ]);
  });

  it('says who asked and why for a rollback, a delete and a policy release', async () => {
    const target = gitopsSha();
    const shipped = await storeArtifact({ tag: 'v1.4.0' });
    const rollback = lifecycle(request({ intent: 'rollback', triggeredBy: 'bob', targetSha: target }), {
      state: 'committed',
      gitopsSha: gitopsSha(),
    });
    const removal = lifecycle(request({ intent: 'delete', env: 'production', triggeredBy: 'carol' }), {
      state: 'committed',
      gitopsSha: gitopsSha(),
    });
    const policy = lifecycle(
      request({
        artifactId: shipped.id,
        triggeredBy: 'policy',
        app: 'web',
        cause: 'tag v1.4.0 matches "v*"',
      }),
      {
        state: 'committed',
        gitopsSha: gitopsSha(),
      },
    );
    await notifier()(streamEvent([...rollback, ...removal, ...policy]));
    const byChannel = (channel: string) =>
      posts()
        .filter((p) => p.fields.channel === channel)
        .map((p) => p.fields.text ?? '');
    const rollbackText = byChannel('#staging').find((t) => t.includes('Rollback')) ?? '';
    const policyText = byChannel('#staging').find((t) => t.includes('*web*')) ?? '';
    expect(rollbackText).toContain(
      `Rollback of *api* in *staging* to <${GITOPS}/commit/${target}|${target.slice(0, 7)}> is committed`,
    );
    expect(rollbackText).toContain('Requested by bob');
    expect(byChannel('#deploys')).toEqual([expect.stringContaining('Removal of *api* from *production*')]);
    expect(byChannel('#deploys')[0]).toContain(
      'This removes the app and everything it runs from *production*',
    );
    expect(byChannel('#deploys')[0]).toContain('Requested by carol');
    expect(policyText).toContain('on `v1.4.0`');
    expect(policyText).toContain('Automatic, by policy: tag v1.4.0 matches "v*"');
    // Only the policy deploy has an application commit to set a status on.
    expect(github.statuses).toMatchObject([{ state: 'pending', sha: shipped.version.sha }]);
  });

  it('escapes what users and CI wrote, so a commit message cannot ping a channel or break a link', async () => {
    const shipped = await storeArtifact({
      message: 'Ping <!channel> & <https://evil.example|click>',
      url: 'https://ci.example/build?id=1&job=<x>|y',
    });
    const changes = lifecycle(request({ artifactId: shipped.id }), {
      state: 'failed',
      reason: 'values <b> & "quotes" are not allowed',
    });
    await notifier()(streamEvent(changes));
    const text = onlyMessage();
    expect(text).toContain(': Ping &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(text).toContain('*Reason:* values &lt;b&gt; &amp; "quotes" are not allowed');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain(
      `<https://ci.example/build?id=1&amp;job=&lt;x&gt;%7Cy|${shipped.version.sha.slice(0, 7)}>`,
    );
  });

  it('tells a release whose artifact is gone without its version, and does not fail the record', async () => {
    const changes = lifecycle(request({ artifactId: 'acme/api-gone' }), {
      state: 'committed',
      gitopsSha: gitopsSha(),
    });
    const response = await notifier()(streamEvent(changes));
    expect(response.batchItemFailures).toEqual([]);
    expect(onlyMessage()).toMatch(/^:hourglass_flowing_sand: Deploy of \*api\* to \*staging\* is committed/);
    expect(onlyMessage()).not.toContain('Version');
    expect(github.calls).toEqual([]);
    expect(records().some((r) => r.artifactId === 'acme/api-gone')).toBe(true);
  });

  it('only logs what it would send when Slack and GitHub have no token', async () => {
    const shipped = await storeArtifact();
    const changes = lifecycle(request({ artifactId: shipped.id }), {
      state: 'committed',
      gitopsSha: gitopsSha(),
    });
    const handle = notifier({
      slack: { apiUrl: slack.url, channels: { '*': '#deploys' } },
      github: { baseUrl: github.url },
    });
    const response = await handle(streamEvent(changes));
    expect(response.batchItemFailures).toEqual([]);
    expect(slack.calls).toEqual([]);
    expect(github.calls).toEqual([]);
    const wouldSend = logs
      .map((l) => JSON.parse(l))
      .find((l) => l.message === 'Slack is not configured; would send');
    expect(wouldSend).toMatchObject({ level: 'info', channel: '#deploys' });
    expect(wouldSend.text).toMatch(/^:hourglass_flowing_sand: Deploy of \*api\* to \*staging\*/);
    const wouldSet = logs
      .map((l) => JSON.parse(l))
      .find((l) => l.message.startsWith('GitHub is not configured'));
    expect(wouldSet).toMatchObject({
      level: 'info',
      state: 'pending',
      context: 'ferry/staging',
      sha: shipped.version.sha,
    });
  });

  it('renders templates overridden by state and by intent and state, and the defaults for the rest', async () => {
    const shipped = await storeArtifact();
    const sha = gitopsSha();
    const changes = lifecycle(
      request({ artifactId: shipped.id }),
      { state: 'committed', gitopsSha: sha },
      { state: 'succeeded' },
    );
    const handle = notifier({
      slack: {
        token: SLACK_TOKEN,
        apiUrl: slack.url,
        channels: { '*': '#deploys' },
        templates: {
          committed: '{{emoji}} {{app}} → {{env}} by {{who}}',
          'deploy.succeeded': '{{app}} is live in {{env}} ({{link gitops.url gitops.shortSha}})',
          'rollback.succeeded': 'not used by a deploy',
        },
      },
    });
    await handle(streamEvent(changes.slice(0, 1)));
    expect(posts()[0]?.fields.text).toBe(':hourglass_flowing_sand: api → staging by alice');
    await handle(streamEvent(changes.slice(1)));
    expect(onlyMessage()).toBe(`api is live in staging (<${GITOPS}/commit/${sha}|${sha.slice(0, 7)}>)`);
  });

  it('refuses a template override with an unknown key or helper when it starts, naming it', () => {
    const build = (templates: Record<string, string>) => () =>
      notifier({ slack: { channels: {}, templates } });
    expect(build({ sucess: 'typo' })).toThrow(
      'template key "sucess" is not an intent, a state or <intent>.<state>',
    );
    expect(build({ failed: '{{shout reason}}' })).toThrow(/template "failed": Missing helper: "shout"/);
    expect(build({ failed: '{{#if reason}}' })).toThrow(/template "failed"/);
    expect(() =>
      lambdaNotifyDeps({ FERRY_TABLE_NAME: 't', FERRY_SLACK_TEMPLATES: '{"deploy.gone":"x"}' }),
    ).toThrow(
      new ConfigError(
        'FERRY_SLACK_TEMPLATES',
        'template key "deploy.gone" is not an intent, a state or <intent>.<state>',
      ),
    );
    expect(() => lambdaNotifyDeps({ FERRY_TABLE_NAME: 't', FERRY_SLACK_CHANNELS: '#deploys' })).toThrow(
      /^FERRY_SLACK_CHANNELS: is not valid JSON/,
    );
  });

  it('links gitops commits only for a github.com repository', async () => {
    expect(githubCommitUrl('https://github.com/acme/gitops.git')?.('abc')).toBe(
      'https://github.com/acme/gitops/commit/abc',
    );
    expect(githubCommitUrl('https://x:secret@github.com/acme/gitops/')?.('abc')).toBe(
      'https://github.com/acme/gitops/commit/abc',
    );
    expect(githubCommitUrl('http://127.0.0.1:8080/gitops.git')).toBeUndefined();
    expect(githubCommitUrl('https://gitlab.com/acme/gitops.git')).toBeUndefined();
    const deps = lambdaNotifyDeps({
      FERRY_TABLE_NAME: 't',
      FERRY_GITOPS_REPO_URL: 'https://github.com/acme/gitops.git',
      FERRY_SLACK_CHANNELS: '{"*":"#deploys"}',
    });
    expect(deps.gitopsCommitUrl?.('abc')).toBe('https://github.com/acme/gitops/commit/abc');
    expect(deps.config.channels).toEqual({ '*': '#deploys' });
    expect(await deps.slack.enabled()).toBe(false);
    expect(await deps.commitStatus.enabled()).toBe(false);
  });

  it('puts Approve and Reject buttons on a release waiting for approvals, and takes them away after', async () => {
    const waiting = request({ state: 'queued', states: [] });
    const parked: ReleaseRequest = {
      ...waiting,
      state: 'waiting',
      reason: 'approvals 0 of 2 from release-approvers',
      gate: {
        conditions: [{ kind: 'approval', reason: 'approvals 0 of 2 from release-approvers' }],
        parks: 1,
      },
      states: [{ state: 'waiting', at: clock.now().toISOString() }],
    };
    const committed = advance(parked, {
      state: 'committed',
      at: clock.now().toISOString(),
      gitopsSha: gitopsSha(),
    });
    const handle = notifier();
    expect((await handle(streamEvent([{ before: waiting, after: parked }]))).batchItemFailures).toEqual([]);
    const posted = posts()[0]?.fields as Record<string, string>;
    expect(posted.text).toContain('is waiting');
    expect(posted.text).toContain('*Reason:* approvals 0 of 2 from release-approvers');
    const blocks = JSON.parse(posted.blocks ?? '[]');
    expect(blocks[1]).toMatchObject({
      type: 'actions',
      elements: [
        { type: 'button', action_id: 'ferry-approve', value: parked.id, style: 'primary' },
        { type: 'button', action_id: 'ferry-reject', value: parked.id, style: 'danger' },
      ],
    });
    await handle(streamEvent([{ before: parked, after: committed as ReleaseRequest }]));
    const updated = JSON.parse(updates()[0]?.fields.blocks ?? '[]');
    expect(updated.map((b: { type: string }) => b.type)).toEqual(['section']);
  });

  it('announces a stopped environment in its channel, from an ANNOUNCE item on the stream', async () => {
    const record = {
      eventID: 'announce-1',
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: {
        Keys: marshall({ pk: 'ANNOUNCE#x', sk: 'ANNOUNCE' }),
        NewImage: marshall({
          pk: 'ANNOUNCE#x',
          sk: 'ANNOUNCE',
          announcement: { env: 'staging', text: 'staging stopped by dora: incident' },
        }),
        SequenceNumber: '9'.repeat(21),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
    expect(matchesFilter(NOTIFY_FILTER, record)).toBe(true);
    const out = await notifier()({ Records: [record] } as unknown as DynamoDBStreamEvent);
    expect(out.batchItemFailures).toEqual([]);
    expect(posts()).toHaveLength(1);
    expect(posts()[0]?.fields).toMatchObject({
      channel: '#staging',
      text: 'staging stopped by dora: incident',
    });
  });
});
