import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseArtifacts } from '../../lib/app/auto-release.ts';
import { runCli } from '../cli/helpers.ts';
import { artifact } from '../fixtures/artifacts.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const WEBHOOK_SECRET = 'github-webhook-secret-for-tests';
const cm = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

/** The shop's manifests: main pushes go to staging, v* tags to production, pull requests to previews. */
const manifests = (values = 'one') => [
  {
    app: 'shop',
    env: 'staging',
    deploy: { branch: 'main', event: 'push' },
    manifests: cm('shop', `staging-${values}`),
  },
  { app: 'shop', env: 'production', deploy: { tag: 'v*' }, manifests: cm('shop', `production-${values}`) },
  { app: 'shop', env: 'preview', preview: true, manifests: cm('shop', `preview-${values}`) },
];

describe('policy-based releases, previews, promotion and dry-run on the local stack', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({
      githubWebhookSecret: WEBHOOK_SECRET,
      policy: { branchRestrictions: JSON.stringify([{ env: 'locked', branch: '^main$' }]) },
    });
  }, 60_000);
  afterAll(async () => t?.close());

  /** Requests an artifact's policies made, once the stream has processed it. */
  async function policyRequests(artifactId: string, count: number): Promise<any[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const requests = await t.stack.deps.releases.forArtifact(artifactId);
      if (requests.length >= count) {
        return Promise.all(requests.map((r) => t.settle(r.id)));
      }
      if (Date.now() > deadline)
        throw new Error(`expected ${count} requests for ${artifactId}, got ${requests.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Brings the artifact's policy evaluation to its end state instead of waiting for the stream processor:
   * evaluating an artifact again makes no second request (the first test shows it), so once this returns
   * every request the artifact causes exists, whether the processor got there first or not.
   */
  async function evaluated(artifactId: string): Promise<void> {
    expect(await releaseArtifacts(t.stack.deps, [artifactId])).toEqual([]);
  }

  const head = () => t.clone().git('rev-parse', 'HEAD').trim();
  const show = (path: string) => t.clone().git('show', `HEAD:${path}`);

  let mainArtifact: any;

  it('a main push deploys staging and not production; processing it twice makes no second request', async () => {
    mainArtifact = await t.ship(
      artifact({ repositoryName: 'acme/shop', branch: 'main', event: 'push' }, manifests()),
    );
    const [staging] = await policyRequests(mainArtifact.id, 1);
    await evaluated(mainArtifact.id);
    expect(staging).toMatchObject({
      env: 'staging',
      app: 'shop',
      triggeredBy: 'policy',
      state: 'committed',
      cause: 'event push = push; branch main matches "main"',
    });
    expect(show('staging/shop/configmap-shop.yaml')).toContain('staging-one');
    expect(t.clone().git('ls-tree', '--name-only', 'HEAD').split('\n')).not.toContain('production');

    const { releases } = t.stack.deps;
    expect(await releaseArtifacts(t.stack.deps, [mainArtifact.id])).toEqual([]);
    expect(await releases.forArtifact(mainArtifact.id)).toHaveLength(1);
    const track = await t.request('GET', `/api/eventArtifactTrack?artifactId=${mainArtifact.id}`);
    expect(track.body.results).toHaveLength(1);
  });

  it('a v1.2.3 tag deploys production and not staging', async () => {
    const tagged = await t.ship(
      artifact({ repositoryName: 'acme/shop', branch: '', event: 'tag', tag: 'v1.2.3' }, manifests('tagged')),
    );
    const [production] = await policyRequests(tagged.id, 1);
    await evaluated(tagged.id);
    expect(production).toMatchObject({ env: 'production', app: 'shop', state: 'committed' });
    expect(show('production/shop/configmap-shop.yaml')).toContain('production-tagged');
    expect(await t.stack.deps.releases.forArtifact(tagged.id)).toHaveLength(1);
  });

  it('a pull request creates a preview; a signed branch delete removes it, a wrong signature changes nothing', async () => {
    const pr = await t.ship(
      artifact(
        { repositoryName: 'acme/shop', branch: 'feature/Login_Page', event: 'pr', sourceBranch: 'main' },
        manifests('pr'),
      ),
    );
    const [preview] = await policyRequests(pr.id, 1);
    expect(preview).toMatchObject({ env: 'preview', app: 'shop-feature-login-page', state: 'committed' });
    expect(show('preview/shop-feature-login-page/configmap-shop.yaml')).toContain('preview-pr');

    const body = JSON.stringify({
      ref: 'feature/Login_Page',
      ref_type: 'branch',
      repository: { full_name: 'acme/shop' },
    });
    const post = (signature: string, delivery: string) =>
      fetch(`${t.url}/api/github-webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'delete',
          'x-github-delivery': delivery,
          'x-hub-signature-256': signature,
        },
        body,
      });
    const before = head();
    const forged = await post(`sha256=${createHmac('sha256', 'wrong').update(body).digest('hex')}`, 'd-1');
    expect(forged.status).toBe(401);
    expect(head()).toBe(before);

    const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
    const signed = await post(signature, 'd-2');
    expect(signed.status).toBe(200);
    const result = (await signed.json()) as any;
    expect(result.deletes).toEqual([
      { env: 'preview', app: 'shop-feature-login-page', requestId: expect.any(String), duplicate: false },
    ]);
    const deleted = await t.settle(result.deletes[0].requestId);
    expect(deleted).toMatchObject({
      intent: 'delete',
      state: 'committed',
      triggeredBy: 'policy',
      cause: 'branch feature/Login_Page of acme/shop went away',
    });
    expect(t.clone().git('ls-tree', '-r', '--name-only', 'HEAD')).not.toContain(
      'preview/shop-feature-login-page/',
    );
    const again = (await (await post(signature, 'd-2')).json()) as any;
    expect(again.deletes).toEqual([]);
  });

  it('a branch delete spares an app that only looks like its preview, replays under a new delivery id delete nothing, and bodies over 1 MiB are 413', async () => {
    const cmWeb = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
    const environments = [
      { app: 'web', env: 'preview', preview: true, manifests: cmWeb('web') },
      { app: 'web-api', env: 'preview', manifests: cmWeb('web-api') },
    ];
    // `web-api` is an app of its own, deployed from main; branch `api`'s preview of `web` would share its name.
    const main = await t.ship(artifact({ repositoryName: 'acme/web', branch: 'main' }, environments));
    const own = await t.request('POST', '/api/releases', {
      body: { env: 'preview', app: 'web-api', artifactId: main.id },
    });
    expect((await t.settle(own.body.id)).state).toBe('committed');
    const post = (body: string, delivery: string) =>
      fetch(`${t.url}/api/github-webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'delete',
          'x-github-delivery': delivery,
          'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
        },
        body,
      });
    const gone = (ref: string) =>
      JSON.stringify({ ref, ref_type: 'branch', repository: { full_name: 'acme/web' } });
    const spared = (await (await post(gone('api'), 'e-1')).json()) as any;
    expect(spared.deletes).toEqual([]);
    expect(show('preview/web-api/release.json')).toContain(own.body.id);

    // A real preview of branch `feature`, deleted once; then deployed again, and the signed delete replayed.
    const pr = await t.ship(
      artifact({ repositoryName: 'acme/web', branch: 'feature', event: 'pr' }, environments),
    );
    await policyRequests(pr.id, 1);
    const first = (await (await post(gone('feature'), 'e-2')).json()) as any;
    expect(first.deletes).toMatchObject([{ env: 'preview', app: 'web-feature', duplicate: false }]);
    await t.settle(first.deletes[0].requestId);
    const redeploy = await t.request('POST', '/api/releases', {
      body: { env: 'preview', app: 'web-feature', artifactId: pr.id },
    });
    expect((await t.settle(redeploy.body.id)).state).toBe('committed');
    const replayed = (await (await post(gone('feature'), 'e-3')).json()) as any;
    expect(replayed.deletes).toMatchObject([{ app: 'web-feature', duplicate: true }]);
    expect(show('preview/web-feature/release.json')).toContain(redeploy.body.id);

    const huge = JSON.stringify({ ref: 'x', pad: 'x'.repeat(1024 * 1024) });
    const tooLarge = await post(huge, 'e-4');
    expect(tooLarge.status).toBe(413);
  }, 90_000);

  it('promotion deploys exactly the artifact staging runs, rendered with production’s manifest', async () => {
    const created = await t.request('POST', '/api/releases', {
      body: { env: 'production', app: 'shop', fromEnv: 'staging' },
    });
    expect(created.status).toBe(201);
    const done = await t.settle(created.body.id);
    expect(done).toMatchObject({ env: 'production', artifactId: mainArtifact.id, state: 'committed' });
    expect(show('production/shop/configmap-shop.yaml')).toContain('production-one');
    expect(JSON.parse(show('production/shop/release.json')).artifactId).toBe(mainArtifact.id);

    const nothing = await t.request('POST', '/api/releases', {
      body: { env: 'production', app: 'shop', fromEnv: 'qa' },
    });
    expect(nothing.status).toBe(400);
    expect(nothing.body.error.message).toContain('nothing runs as qa/shop');
    const noManifest = await t.ship(
      artifact({ repositoryName: 'acme/other', branch: 'main' }, [
        { app: 'other', env: 'staging', manifests: cm('other', 'x') },
      ]),
    );
    const deployed = await t.request('POST', '/api/releases', {
      body: { env: 'staging', app: 'other', artifactId: noManifest.id },
    });
    await t.settle(deployed.body.id);
    const missing = await t.request('POST', '/api/releases', {
      body: { env: 'production', app: 'other', fromEnv: 'staging' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('no manifest for production/other');
  });

  it('dry-run returns a readable diff and leaves the repository head as it was', async () => {
    const next = await t.ship(
      artifact({ repositoryName: 'acme/shop', branch: 'release', event: 'push' }, manifests('two')),
    );
    await evaluated(next.id);
    const before = head();
    const res = await t.request('POST', '/api/releases?dryRun=true', {
      body: { env: 'staging', app: 'shop', artifactId: next.id },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      dryRun: true,
      env: 'staging',
      app: 'shop',
      changes: [{ path: 'staging/shop/configmap-shop.yaml', change: 'modified' }],
    });
    expect(res.body.diff).toBe(
      [
        '--- a/staging/shop/configmap-shop.yaml',
        '+++ b/staging/shop/configmap-shop.yaml',
        '@@ -4,4 +4,4 @@',
        '   name: shop',
        '   namespace: default',
        ' data:',
        '-  value: "staging-one"',
        '+  value: "staging-two"',
        '',
      ].join('\n'),
    );
    expect(head()).toBe(before);
    expect((await t.stack.deps.releases.forArtifact(next.id)).length).toBe(0);
  });

  it('branch restrictions block manual and automatic releases, naming the rule; install ones stay', async () => {
    const feature = await t.ship(
      artifact({ repositoryName: 'acme/locked', branch: 'feature/x' }, [
        { app: 'web', env: 'locked', manifests: cm('web', 'x') },
      ]),
    );
    const manual = await t.request('POST', '/api/releases', {
      body: { env: 'locked', artifactId: feature.id },
    });
    expect(manual.status).toBe(403);
    expect(manual.body.error.message).toBe(
      'locked/web: blocked by branch-restriction locked: ^main$ (branch feature/x)',
    );
    const removeInstall = await t.request('DELETE', '/api/policies/branch-restriction.locked.*');
    expect(removeInstall.status).toBe(403);

    const applied = await t.request('POST', '/api/policies', {
      body: { kind: 'branch-restriction', env: 'staging', app: 'api', branch: '^main$' },
    });
    expect(applied.status).toBe(201);
    const refused = await t.request('POST', '/api/policies', {
      body: { kind: 'auto-release', app: 'api', env: 'staging', branch: 'develop' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('blocked by branch-restriction staging/api: ^main$');
    const listed = await t.request('GET', '/api/policies');
    expect(listed.body.map((p: any) => [p.id, p.source])).toEqual([
      ['branch-restriction.locked.*', 'install'],
      ['branch-restriction.staging.api', 'api'],
    ]);
    expect((await t.request('DELETE', '/api/policies/branch-restriction.staging.api')).status).toBe(204);
    expect((await t.request('DELETE', '/api/policies/branch-restriction.staging.api')).status).toBe(404);
  });

  it('an auto-release policy deploys pushes of its branch; a rollback hold pauses it', async () => {
    const rule = await t.request('POST', '/api/policies', {
      body: { kind: 'auto-release', app: 'api', env: 'dev', branch: 'develop' },
    });
    expect(rule.status).toBe(201);
    const devManifest = [{ app: 'api', env: 'dev', manifests: cm('api', 'develop') }];
    const first = await t.ship(artifact({ repositoryName: 'acme/api', branch: 'develop' }, devManifest));
    const [released] = await policyRequests(first.id, 1);
    expect(released).toMatchObject({ env: 'dev', app: 'api', state: 'committed' });
    const second = await t.ship(
      artifact({ repositoryName: 'acme/api', branch: 'develop' }, [
        { app: 'api', env: 'dev', manifests: cm('api', 'develop-2') },
      ]),
    );
    const [next] = await policyRequests(second.id, 1);
    const rollback = await t.request('POST', '/api/rollback', {
      body: { env: 'dev', app: 'api', sha: released.gitopsSha },
    });
    await t.settle(rollback.body.id);
    expect(next.state).toBe('committed');
    const third = await t.ship(artifact({ repositoryName: 'acme/api', branch: 'develop' }, devManifest));
    await evaluated(third.id);
    expect(await t.stack.deps.releases.forArtifact(third.id)).toEqual([]);
    const why = await t.request('POST', '/api/policies/evaluate', { body: { artifactId: third.id } });
    expect(why.status).toBe(200);
    expect(why.body[0]).toMatchObject({ matched: true, outcome: 'held' });
    expect(why.body[0].reasons.join('; ')).toContain(
      'auto-release api → dev: branch develop matches "develop"',
    );
  });

  it('the CLI: policy apply/list/evaluate/delete, deploy --dry-run and promote --dry-run', async () => {
    const env = { FERRY_SERVER: t.url, FERRY_TOKEN: t.adminToken };
    const cli = (...argv: string[]) => runCli(argv, { env });
    const applied = await cli(
      'policy',
      'apply',
      'auto-release',
      '--app',
      'shop',
      '--branch',
      'release/*',
      '--env',
      'qa',
    );
    expect(applied).toMatchObject({ code: 0, stdout: 'auto-release.shop.qa\n' });
    const listed = await cli('policy', 'list');
    expect(listed.stdout).toContain(
      'auto-release.shop.qa  auto-release  shop from branch release/* → qa  (api)',
    );
    expect(listed.stdout).toContain(
      'branch-restriction.locked.*  branch-restriction  locked only from branches matching ^main$  (install)',
    );
    const explained = await cli('policy', 'evaluate', '--artifact', mainArtifact.id);
    expect(explained.stdout.split('\n')).toEqual([
      `staging/shop  duplicate  event push = push; branch main matches "main"; already requested as ${(await t.stack.deps.releases.forArtifact(mainArtifact.id))[0]?.id} (committed)`,
      'production/shop  no match  event push ≠ tag (tag policy "v*"); no tag on this artifact (tag policy "v*")',
      'preview/shop  no match  preview: event push ≠ pr',
      '',
    ]);
    expect((await cli('policy', 'delete', 'auto-release.shop.qa')).stdout).toBe(
      'deleted auto-release.shop.qa\n',
    );

    const next = await t.ship(
      artifact({ repositoryName: 'acme/shop', branch: 'hotfix' }, manifests('three')),
    );
    const before = head();
    const dry = await cli('deploy', '--env', 'staging', '--app', 'shop', '--artifact', next.id, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('+  value: "staging-three"');
    const promoted = await cli(
      'promote',
      '--app',
      'shop',
      '--from',
      'staging',
      '--to',
      'production',
      '--dry-run',
    );
    expect(promoted).toMatchObject({ code: 0, stdout: '# production/shop: no changes\n' });
    const noChain = await cli('promote', '--app', 'shop', '--to', 'production');
    expect(noChain.code).toBe(1);
    expect(noChain.stderr).toContain('no promotion chain is configured');
    expect(head()).toBe(before);
  });
});
