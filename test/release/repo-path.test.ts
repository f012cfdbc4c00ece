import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createBareRepo, type GitServer, startGitServer } from '../../lib/local/git/git-server.ts';
import { artifact } from '../fixtures/artifacts.ts';
import { envKey, fluxEventBody, postFluxEvent, sign } from '../support/flux.ts';
import { buildLikeFlux, objectId } from '../support/flux-oracle.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const KEY = 'flux-hmac-key-repo-path';
const WEBHOOK_SECRET = 'github-webhook-secret-repo-path';
/** Where the default repository's environments live. */
const FOLDERS = ['', 'clusters/prod', 'clusters/preview'];
const configMap = (app: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}\n  namespace: default\ndata:\n  value: "${value}"\n`;
const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

/**
 * Environments in folders of their repository (FERRY_GITOPS_REPOS `path`, GimletD's GITOPS_REPOS): staging
 * at the root of the default repository, production under `clusters/prod` of the same one, eu under
 * `fleet` of another. Every file of an environment lives under its folder, and Flux is pointed there.
 */
describe('an environment in a folder of its gitops repository', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-repo-path-'));
  let server: GitServer;
  let t: TestStack;
  let otherUrl: string;

  beforeAll(async () => {
    await createBareRepo(root, 'gitops.git');
    await createBareRepo(root, 'fleet.git');
    server = await startGitServer({ root });
    otherUrl = server.repoUrl('fleet.git');
    t = await startTestStack({
      remote: { url: server.repoUrl('gitops.git') },
      gitopsRepos: JSON.stringify([
        { envs: ['production'], url: server.repoUrl('gitops.git'), path: 'clusters/prod' },
        { envs: ['preview'], url: server.repoUrl('gitops.git'), path: 'clusters/preview' },
        { envs: ['eu'], url: otherUrl, path: 'fleet' },
      ]),
      fluxHmacKey: KEY,
      githubWebhookSecret: WEBHOOK_SECRET,
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function committed(created: { status: number; body: any }): Promise<{ id: string; sha: string }> {
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // Once Flux has reported for an environment, done waits for its verdict: committed is enough here.
    const done = await t.waitFor(created.body.id, (r) => r.done || r.state === 'committed', 30_000);
    expect(done.state, done.reason).toBe('committed');
    return { id: created.body.id, sha: done.gitopsSha };
  }
  const init = (env: string) => t.request('POST', `/api/environments/${env}/init`, { body: {} });
  const deploy = (env: string, artifactId: string) =>
    t.request('POST', '/api/releases', { body: { env, app: 'web', artifactId } });
  async function flux(env: string, name: string, revision: string, app?: string, failed = false) {
    const body = fluxEventBody({
      name,
      ...(failed
        ? { severity: 'error', reason: 'HealthCheckFailed', message: 'health check failed after 30s' }
        : { reason: 'ReconciliationSucceeded', message: 'Reconciliation finished in 1s, next run in 10m0s' }),
      metadata: { revision: `main@sha1:${revision}`, env, ...(app ? { app } : {}) },
    });
    const res = await postFluxEvent(t.url, body, {
      signature: sign(body, envKey(KEY, env)),
      query: `env=${env}`,
    });
    expect(res.status).toBe(200);
  }

  it('writes, rolls back and deletes only under the folder, and Flux applies it from there', async () => {
    // Prepare: v1 and v2 of web for staging and production.
    const [v1, v2] = await Promise.all(
      ['v1', 'v2'].map((v) =>
        t.ship(
          artifact({}, [
            { app: 'web', env: 'staging', manifests: configMap('web', v) },
            { app: 'web', env: 'production', manifests: configMap('web', v) },
          ]),
        ),
      ),
    );
    // Act: set up production's Flux, deploy both environments, then v2 to production and back to v1.
    const setUp = await committed(await init('production'));
    await committed(await deploy('staging', v1.id));
    const first = await committed(await deploy('production', v1.id));
    const preview = await t.request('POST', '/api/releases?dryRun=true', {
      body: { env: 'production', app: 'web', artifactId: v2.id },
    });
    const second = await committed(await deploy('production', v2.id));
    const back = await committed(
      await t.request('POST', '/api/rollback', { body: { env: 'production', app: 'web', sha: first.sha } }),
    );

    // Assess: production lives under clusters/prod only; staging stays at the root.
    const repo = t.clone({ folders: FOLDERS });
    const show = (path: string, at = 'HEAD') => repo.git('show', `${at}:${path}`);
    expect(repo.git('ls-tree', '-d', '--name-only', 'HEAD').trim().split('\n')).toEqual([
      'clusters',
      'staging',
    ]);
    expect(repo.git('ls-tree', '-r', '--name-only', 'HEAD', 'clusters/prod').trim().split('\n')).toEqual([
      'clusters/prod/production/flux/alert.yaml',
      'clusters/prod/production/flux/apps/web.yaml',
      'clusters/prod/production/flux/ferry.json',
      'clusters/prod/production/flux/provider.yaml',
      'clusters/prod/production/flux/sync.yaml',
      'clusters/prod/production/web/configmap-web.yaml',
      'clusters/prod/production/web/release.json',
    ]);
    expect(show('clusters/prod/production/web/configmap-web.yaml', second.sha)).toContain('v2');
    expect(show('clusters/prod/production/web/configmap-web.yaml')).toContain('v1');
    expect(JSON.parse(show('clusters/prod/production/web/release.json')).artifactId).toBe(v1.id);
    // Flux is pointed at the folder: the entry applies <folder>/<env>/flux, the app's Kustomization its folder.
    const [source, entry] = objects(show('clusters/prod/production/flux/sync.yaml'));
    expect(source.spec).toMatchObject({ url: server.repoUrl('gitops.git'), ref: { branch: 'main' } });
    expect(entry.spec.path).toBe('./clusters/prod/production/flux');
    expect(objects(show('clusters/prod/production/flux/apps/web.yaml'))[0].spec.path).toBe(
      './clusters/prod/production/web',
    );
    // What kustomize-controller builds for the environment's folder holds its entry objects and the app.
    const built = (await buildLikeFlux(repo.dir, 'clusters/prod/production')).map(objectId);
    expect(built).toEqual(
      expect.arrayContaining([
        'ConfigMap.v1/default/web',
        'Kustomization.kustomize.toolkit.fluxcd.io/v1/flux-system/production.web',
        'Kustomization.kustomize.toolkit.fluxcd.io/v1/flux-system/ferry-production',
      ]),
    );
    // The dry run and the commit's diff name the files where they are in the repository.
    expect(preview.status).toBe(200);
    expect(preview.body.changes).toEqual([
      { path: 'clusters/prod/production/web/configmap-web.yaml', change: 'modified' },
    ]);
    const diff = await t.request('GET', `/api/releases/${back.id}/diff`);
    expect(diff.body.changes.map((c: { path: string }) => c.path)).toEqual(
      expect.arrayContaining(['clusters/prod/production/web/configmap-web.yaml']),
    );
    expect(diff.body.diff).not.toMatch(/^--- a\/production\//m);

    // Act: Flux reports the entry applied, then the app's Kustomization failing, at the rollback's revision.
    await flux('production', 'ferry-production', back.sha);
    await flux('production', 'production.web', back.sha, 'web', true);
    // Assess: the entry (known by <folder>/<env>/flux/ferry.json) settled env init only, so the app's own
    // verdict is the one its rollback ends with (an entry read as a whole-environment verdict would have
    // settled it first, and states never move back).
    await t.waitFor(setUp.id, (r) => r.state === 'succeeded');
    const verdict = await t.waitFor(back.id, (r) => r.state !== 'committed');
    expect(verdict.state).toBe('failed');

    // Act: delete production's web.
    const gone = await committed(
      await t.request('POST', '/api/delete', { body: { env: 'production', app: 'web' } }),
    );
    // Assess: the app's folder and its Kustomization left the folder; the environment's Flux stays; staging untouched.
    const after = t.clone({ folders: FOLDERS });
    expect(after.git('ls-tree', '-r', '--name-only', gone.sha, 'clusters/prod').trim().split('\n')).toEqual([
      'clusters/prod/production/flux/alert.yaml',
      'clusters/prod/production/flux/ferry.json',
      'clusters/prod/production/flux/provider.yaml',
      'clusters/prod/production/flux/sync.yaml',
    ]);
    expect(after.git('show', `${gone.sha}:staging/web/configmap-web.yaml`)).toContain('v1');
  }, 120_000);

  it('points env init of an environment in another repository at that repository and folder', async () => {
    // Prepare
    const shipped = await t.ship(
      artifact({}, [{ app: 'web', env: 'eu', manifests: configMap('web', 'eu') }]),
    );
    // Act
    const setUp = await committed(await init('eu'));
    const deployed = await committed(await deploy('eu', shipped.id));
    // Assess: everything of eu is under fleet/ of its own repository, none of it in the default one.
    const repo = t.clone({ url: otherUrl, folders: ['fleet'] });
    expect(repo.git('ls-tree', '-d', '--name-only', 'HEAD').trim()).toBe('fleet');
    expect(repo.git('ls-tree', '-d', '--name-only', 'HEAD', 'fleet/eu/').trim().split('\n')).toEqual([
      'fleet/eu/flux',
      'fleet/eu/web',
    ]);
    const [source, entry] = objects(repo.git('show', 'HEAD:fleet/eu/flux/sync.yaml'));
    expect(source.spec.url).toBe(otherUrl);
    expect(entry.spec.path).toBe('./fleet/eu/flux');
    expect(objects(repo.git('show', 'HEAD:fleet/eu/flux/apps/web.yaml'))[0].spec.path).toBe('./fleet/eu/web');
    const main = t.clone({ folders: FOLDERS });
    expect(main.git('ls-tree', '-r', '--name-only', 'HEAD')).not.toMatch(/(^|\/)eu\//m);
    // Act: Flux reports the app's Kustomization.
    await flux('eu', 'eu.web', deployed.sha, 'web');
    // Assess
    await t.waitFor(deployed.id, (r) => r.state === 'succeeded');
    expect((await t.request('GET', `/api/releases/${setUp.id}`)).body.state).toBe('committed');
  }, 60_000);

  it('writes a preview under its folder and cleans it up there when the branch goes away', async () => {
    // Prepare: a pull request's artifact, released to its preview by policy.
    const pr = await t.ship(
      artifact({ repositoryName: 'acme/shop', branch: 'feature/x', event: 'pr', sourceBranch: 'main' }, [
        { app: 'shop', env: 'preview', preview: true, manifests: configMap('shop', 'pr') },
      ]),
    );
    let requests: { id: string }[] = [];
    for (const deadline = Date.now() + 20_000; requests.length === 0 && Date.now() < deadline; ) {
      requests = await t.stack.deps.releases.forArtifact(pr.id);
      await new Promise((r) => setTimeout(r, 50));
    }
    const released = await t.settle(requests[0]?.id as string);
    expect(released).toMatchObject({ env: 'preview', app: 'shop-feature-x', state: 'committed' });
    const files = (sha: string) =>
      t.clone({ folders: FOLDERS }).git('ls-tree', '-r', '--name-only', sha, 'clusters/preview').trim();
    expect(files(released.gitopsSha).split('\n')).toEqual([
      'clusters/preview/preview/flux/apps/shop-feature-x.yaml',
      'clusters/preview/preview/shop-feature-x/configmap-shop.yaml',
      'clusters/preview/preview/shop-feature-x/release.json',
    ]);
    // Act: GitHub says the branch was deleted.
    const body = JSON.stringify({
      ref: 'feature/x',
      ref_type: 'branch',
      repository: { full_name: 'acme/shop' },
    });
    const res = await fetch(`${t.url}/api/github-webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'delete',
        'x-github-delivery': 'repo-path-1',
        'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    // Assess: the preview left its folder, its Kustomization with it.
    expect(res.status).toBe(200);
    const { deletes } = (await res.json()) as { deletes: { requestId: string }[] };
    const deleted = await t.settle(deletes[0]?.requestId as string);
    expect(deleted).toMatchObject({ intent: 'delete', state: 'committed' });
    expect(files(deleted.gitopsSha)).toBe('');
  }, 60_000);
});
