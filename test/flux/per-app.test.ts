import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { artifact } from '../fixtures/artifacts.ts';
import { envKey, fluxEventBody, postFluxEvent, sign } from '../support/flux.ts';
import { fluxPaths, fluxProblems } from '../support/flux-oracle.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/**
 * One Flux Kustomization per app (lib/domain/flux-apps.ts): what the writer commits for it, and how the
 * events of those Kustomizations, their Alerts and the entry Kustomization settle releases.
 */
const KEY = 'flux-hmac-key-per-app';
const CHART = { repository: 'https://chart.onechart.dev', name: 'onechart', version: '0.73.0' };
const cm = (name: string, namespace: string, value = name) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  value: "${value}"\n`;

describe('one Flux Kustomization per app', () => {
  let t: TestStack;
  let env = 0;
  beforeAll(async () => {
    t = await startTestStack({ fluxHmacKey: KEY });
  }, 60_000);
  afterAll(async () => t?.close());

  const newEnv = () => `perapp${++env}`;

  const waitFor = (id: string, ok: (r: any) => boolean, timeoutMs?: number) => t.waitFor(id, ok, timeoutMs);

  async function committed(created: { status: number; body: any }): Promise<{ id: string; sha: string }> {
    expect(created.status).toBe(201);
    const done = await waitFor(created.body.id, (r) => r.done || r.state === 'committed');
    expect(done.state, done.reason).toBe('committed');
    return { id: created.body.id, sha: done.gitopsSha };
  }

  const init = async (e: string, body: Record<string, string> = {}) =>
    committed(await t.request('POST', `/api/environments/${e}/init`, { body }));

  async function deploy(e: string, app: string, manifest: Record<string, unknown>) {
    const shipped = await t.ship(artifact({}, [{ app, env: e, ...manifest }]));
    return committed(
      await t.request('POST', '/api/releases', { body: { env: e, app, artifactId: shipped.id } }),
    );
  }

  const raw = (app: string, value = app) => ({ namespace: 'default', manifests: cm(app, 'default', value) });
  const chart = (namespace: string) => ({ namespace, chart: CHART, values: { replicas: 1 } });

  /**
   * Posts a signed Flux event. Tests wait on what it moves (a request's state), never on a log line:
   * the status consumer applies one environment's events in the order they came, so once a later event's
   * effect shows, every earlier one of that environment has been applied.
   */
  async function send(e: string, input: Parameters<typeof fluxEventBody>[0]): Promise<void> {
    const body = fluxEventBody(input);
    const res = await postFluxEvent(t.url, body, {
      signature: sign(body, envKey(KEY, e)),
      query: `env=${e}`,
    });
    expect(res.status).toBe(200);
  }

  const stateOf = async (id: string) => (await t.request('GET', `/api/releases/${id}`)).body.state;
  const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

  it('deploy writes the app Kustomization beside its folder', async () => {
    // Prepare
    const e = newEnv();
    await init(e);
    // Act
    await deploy(e, 'shop', chart('shop'));
    await deploy(e, 'web', raw('web'));
    // Assess
    const repo = t.clone();
    const files = repo.git('ls-tree', '-r', '--name-only', 'HEAD', e).trim().split('\n');
    expect(files.filter((f) => f.startsWith(`${e}/flux/`))).toEqual([
      `${e}/flux/alert.yaml`,
      `${e}/flux/apps/shop.yaml`,
      `${e}/flux/apps/web.yaml`,
      `${e}/flux/ferry.json`,
      `${e}/flux/provider.yaml`,
      `${e}/flux/sync.yaml`,
    ]);
    const [kustomization, alert] = objects(repo.git('show', `HEAD:${e}/flux/apps/shop.yaml`));
    expect(kustomization).toMatchObject({
      kind: 'Kustomization',
      metadata: { name: `${e}.shop`, namespace: 'flux-system' },
      spec: { path: `./${e}/shop`, prune: true, wait: true, sourceRef: { name: `ferry-${e}` } },
    });
    expect(alert.spec.eventMetadata).toEqual({ env: e, app: 'shop' });
    expect(alert.spec.eventSources).toContainEqual({ kind: 'HelmRelease', name: 'shop', namespace: 'shop' });
    const sync = objects(repo.git('show', `HEAD:${e}/flux/sync.yaml`));
    expect(sync[0]).toMatchObject({
      kind: 'GitRepository',
      spec: { secretRef: { name: 'ferry-gitops-auth' } },
    });
    expect(sync[0].spec.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(sync[1].spec.path).toBe(`./${e}/flux`);
  });

  it('deleting the last app removes its folder and its Kustomization, and keeps <env>/flux/', async () => {
    // Prepare
    const e = newEnv();
    await init(e);
    await deploy(e, 'web', raw('web'));
    // Act
    const deleted = await committed(await t.request('POST', '/api/delete', { body: { env: e, app: 'web' } }));
    // Assess
    const repo = t.clone();
    const files = repo.git('ls-tree', '-r', '--name-only', deleted.sha, e).trim().split('\n');
    expect(files).toEqual([
      `${e}/flux/alert.yaml`,
      `${e}/flux/ferry.json`,
      `${e}/flux/provider.yaml`,
      `${e}/flux/sync.yaml`,
    ]);
  });

  it('rollback restores the app Kustomization too; without env init it reads flux bootstrap’s source', async () => {
    // Prepare: no env init, so the per-app file names flux bootstrap's GitRepository and has no Alert.
    const e = newEnv();
    const first = await deploy(e, 'web', raw('web', 'v1'));
    await committed(await t.request('POST', '/api/delete', { body: { env: e, app: 'web' } }));
    // Act
    const back = await committed(
      await t.request('POST', '/api/rollback', { body: { env: e, app: 'web', sha: first.sha } }),
    );
    // Assess
    const repo = t.clone();
    const docs = objects(repo.git('show', `${back.sha}:${e}/flux/apps/web.yaml`));
    expect(docs.map((d) => d.kind)).toEqual(['Kustomization']);
    expect(docs[0].spec.sourceRef).toEqual({ kind: 'GitRepository', name: 'flux-system' });
    expect(JSON.parse(repo.git('show', `${back.sha}:${e}/web/release.json`))).toMatchObject({ app: 'web' });
  });

  it('env init after deploys rewrites every app Kustomization with its source and Alert', async () => {
    // Prepare
    const e = newEnv();
    await deploy(e, 'web', raw('web'));
    // Act
    const done = await init(e, { source: 'flux-system' });
    // Assess
    const repo = t.clone();
    const docs = objects(repo.git('show', `${done.sha}:${e}/flux/apps/web.yaml`));
    expect(docs.map((d) => d.kind)).toEqual(['Kustomization', 'Alert']);
    expect(docs[0].spec.sourceRef.name).toBe('flux-system');
    expect(docs[1].spec.providerRef.name).toBe(`ferry-${e}`);
    expect(repo.git('ls-tree', '--name-only', done.sha, `${e}/flux/`)).not.toContain('sync.yaml');
  });

  it("an app's own Kustomization settles only that app; the entry Kustomization settles no app", async () => {
    // Prepare: two apps, one revision containing both.
    const e = newEnv();
    const initialised = await init(e);
    const a = await deploy(e, 'api', raw('api'));
    const b = await deploy(e, 'worker', raw('worker'));
    const revision = `main@sha1:${b.sha}`;
    // Act: the entry applied `<env>/flux` (the apps' Kustomizations), not the apps themselves.
    await send(e, {
      name: `ferry-${e}`,
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 1s, next run in 10m0s',
      metadata: { revision, env: e },
    });
    // Assess: the entry settled `env init`'s own request.
    await waitFor(initialised.id, (r) => r.state === 'succeeded');
    // Act: api's own Kustomization fails its health check (its Alert tags the app).
    await send(e, {
      name: `${e}.api`,
      severity: 'error',
      reason: 'HealthCheckFailed',
      message:
        "health check failed after 30s: timeout waiting for: [Deployment/default/api status: 'InProgress']",
      metadata: { revision, env: e, app: 'api' },
    });
    // Assess: api failed (had the entry succeeded it, it would have stayed succeeded); the entry's event,
    // applied before this one, left worker open.
    await waitFor(a.id, (r) => r.state === 'failed');
    expect(await stateOf(b.id)).toBe('committed');
    // Act: the Kustomization of an app with nothing open fails at the same revision (a failure, so that
    // had it settled worker, worker would stay failed: a later success does not undo a verdict).
    await send(e, {
      name: `${e}.other`,
      severity: 'error',
      reason: 'HealthCheckFailed',
      message:
        "health check failed after 30s: timeout waiting for: [Deployment/default/other status: 'InProgress']",
      metadata: { revision },
    });
    // Act: worker's Kustomization, known by its name alone (an Alert without the app tag).
    await send(e, {
      name: `${e}.worker`,
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 2s, next run in 10m0s',
      metadata: { revision },
    });
    // Assess: only worker's own verdict settled worker; the other app's verdict and api's were not theirs.
    await waitFor(b.id, (r) => r.state === 'succeeded');
    expect(await stateOf(a.id)).toBe('failed');
  });

  it('a failed Helm install ends the release failed with Flux’s reason, for a preview too', async () => {
    // Prepare: two previews side by side.
    const e = newEnv();
    await init(e);
    const x = await deploy(e, 'shop-feature-x', chart('previews'));
    const y = await deploy(e, 'shop-feature-y', chart('previews'));
    // Act: the preview's Kustomization reports the HelmRelease stalled (kustomize-controller fail-fast).
    const message =
      "health check failed after 1m2s: failed early due to stalled resources: [HelmRelease/previews/shop-feature-x status: 'Failed']";
    await send(e, {
      name: `${e}.shop-feature-x`,
      severity: 'error',
      reason: 'HealthCheckFailed',
      message,
      metadata: { revision: `main@sha1:${y.sha}`, env: e, app: 'shop-feature-x' },
    });
    // Assess
    const failed = await waitFor(x.id, (r) => r.state === 'failed');
    expect(failed.reason).toBe(`HealthCheckFailed: ${message}`);
    expect(await stateOf(y.id)).toBe('committed');
    // Act: helm-controller's own event for the other preview, through that app's Alert.
    await send(e, {
      kind: 'HelmRelease',
      name: 'shop-feature-y',
      namespace: 'previews',
      severity: 'error',
      reason: 'InstallFailed',
      message:
        'Helm install failed for release previews/shop-feature-y with chart onechart@0.73.0: timed out',
      metadata: { revision: '0.73.0', env: e, app: 'shop-feature-y' },
    });
    // Assess
    const helmFailed = await waitFor(y.id, (r) => r.state === 'failed');
    expect(helmFailed.reason).toContain(
      'InstallFailed: Helm install failed for release previews/shop-feature-y',
    );
  });

  it('the entry Kustomization settles a delete (it prunes the app Kustomization) and env init', async () => {
    // Prepare
    const e = newEnv();
    const initialised = await init(e);
    await deploy(e, 'web', raw('web'));
    const deleted = await committed(await t.request('POST', '/api/delete', { body: { env: e, app: 'web' } }));
    // Act
    await send(e, {
      name: `ferry-${e}`,
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 1s, next run in 10m0s',
      metadata: { revision: `main@sha1:${deleted.sha}`, env: e },
    });
    // Assess
    await waitFor(deleted.id, (r) => r.state === 'succeeded');
    await waitFor(initialised.id, (r) => r.state === 'succeeded');
  });

  /**
   * A pull request's artifact with a preview manifest (renamed inside to `web-<branch>` when rendered).
   * Shipping it already deploys the preview (its policy); asking again finds it there, or commits it.
   */
  async function preview(e: string, branch: string) {
    const manifest = { app: 'web', env: e, namespace: 'shop', preview: true, chart: CHART };
    const shipped = await t.ship(artifact({ event: 'pr', branch }, [manifest]));
    const app = `web-${branch.replace('/', '-')}`;
    const created = await t.request('POST', '/api/releases', {
      body: { env: e, app, artifactId: shipped.id },
    });
    const done = await waitFor(created.body.id, (r) => ['committed', 'unchanged'].includes(r.state));
    return { id: done.id, app };
  }

  // Last: the oracle runs kubectl synchronously, which stalls this process's HTTP keep-alive sockets.
  it('Flux would apply all three: apps, two previews side by side, an environment whose last app was deleted', async () => {
    // Prepare
    const previews = newEnv();
    await init(previews);
    const a = await preview(previews, 'feature/a');
    const b = await preview(previews, 'feature/b');
    const full = newEnv();
    await init(full);
    await deploy(full, 'shop', chart('shop'));
    await deploy(full, 'web', raw('web'));
    const emptied = newEnv();
    await init(emptied);
    await deploy(emptied, 'web', raw('web'));
    await committed(await t.request('POST', '/api/delete', { body: { env: emptied, app: 'web' } }));
    const repo = t.clone();
    // Act: every path a Kustomization of these trees builds, as kustomize-controller builds it.
    const mine = [previews, full, emptied];
    const paths = fluxPaths(repo.dir).filter((p) => mine.some((e) => p.startsWith(`${e}/`)));
    const problems = await fluxProblems(repo.dir, paths);
    // Assess: the emptied environment's entry still has its path (it prunes `<env>.web`, which prunes web).
    expect(paths).toEqual(
      [
        `${previews}/flux`,
        `${previews}/${a.app}`,
        `${previews}/${b.app}`,
        `${full}/flux`,
        `${full}/shop`,
        `${full}/web`,
        `${emptied}/flux`,
      ].sort(),
    );
    expect(problems).toEqual([]);
    // Each preview's Alert follows its own, renamed HelmRelease.
    const alert = objects(repo.git('show', `HEAD:${previews}/flux/apps/${b.app}.yaml`))[1];
    expect(alert.spec.eventSources).toEqual([
      { kind: 'Kustomization', name: `${previews}.${b.app}`, namespace: 'flux-system' },
      { kind: 'HelmRelease', name: b.app, namespace: 'shop' },
    ]);
  }, 180_000);
});
