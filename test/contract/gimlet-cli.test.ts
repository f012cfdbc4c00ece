import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { GimletCli } from './gimlet/cli.ts';
import { CLI_VERSIONS, type CliVersion } from './gimlet/dx.ts';
import { fakeFlux, type Verdict } from './gimlet/flux.ts';
import { fromYaml, goUnmarshal } from './gimlet/go-json.ts';

/**
 * The gimlet CLI, per released tag, against the local stack: requests built as the Go client builds them
 * (gimlet-io/gimlet `pkg/client/client.go`, `pkg/commands/{artifact,release}/*.go`, `pkg/dx/*.go` at
 * cli-v0.20.0, cli-v0.25.0, cli-v0.27.0 and cli-v1.0.0-beta.1; see ./gimlet/dx.ts), answers decoded as
 * `encoding/json` decodes them into the CLI's structs, and the CLI's own logic deciding the exit code.
 */
const KEY = 'contract-flux-hmac-key';

const short: Record<CliVersion, string> = {
  'cli-v0.20.0': 'v020',
  'cli-v0.25.0': 'v025',
  'cli-v0.27.0': 'v027',
  'cli-v1.0.0-beta.1': 'v100',
};

const manifestYaml = (env: string, app: string, policy: boolean) => `app: ${app}
env: ${env}
namespace: default
${policy ? 'deploy:\n  branch: main\n  event: push\n' : ''}manifests: |
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: ${app}
    namespace: default
  data:
    sha: "{{ .SHA }}"
`;

let t: TestStack;
let counter = 0;

beforeAll(async () => {
  t = await startTestStack({ fluxHmacKey: KEY });
}, 90_000);
afterAll(async () => t?.close());

const newSha = () => `${(++counter).toString(16).padStart(6, '0')}${'c0ffee'.repeat(6)}ab`.slice(0, 40);

function artifactFor(cli: GimletCli, manifests: string[], sha = newSha()) {
  return {
    version: {
      repositoryName: 'acme/web',
      sha,
      created: 1764400000,
      branch: 'main',
      event: 'push',
      authorName: 'Dev',
      authorEmail: 'dev@example.com',
      message: 'Fix <the> & thing',
      url: `https://github.com/acme/web/commit/${sha}`,
    },
    context: { SHA: sha },
    environments: manifests.map((m) => fromYaml(cli.dx.Manifest, parse(m))),
    items: [{ name: 'CI', url: 'https://github.com/acme/web/actions/runs/1' }],
    vars: { SHA: sha },
  };
}

/** Releases and waits for the writer's commit; returns the gitops sha. */
async function released(cli: GimletCli, env: string, app: string, artifactId: string): Promise<string> {
  const made = await cli.releaseMake(env, artifactId, app);
  expect(made).toMatchObject({ exitCode: 0 });
  const done = await t.settle(made.id as string);
  expect(done.state).toBe('committed');
  return done.gitopsSha;
}

describe.each(CLI_VERSIONS)('gimlet %s works unchanged against Ferry', (version) => {
  const v = short[version];
  const cli = () => new GimletCli(version, t.url, t.adminToken);

  it('pushes the artifact exactly as Go marshals dx.Artifact, and decodes the stored one', async () => {
    const c = cli();
    const env = `${v}-push`;
    const pushed = await c.artifactPush(artifactFor(c, [manifestYaml(env, 'web', false)]));
    expect(pushed.error).toBeUndefined();
    const body = c.sent[0]?.body ?? '';
    // Go's zero values and omitempty rules, per tag.
    expect(body).not.toContain('"event"'); // push is GitEvent 0: omitempty drops it from version
    expect(body).toContain('"message":"Fix \\u003cthe\\u003e \\u0026 thing"');
    if (version === 'cli-v0.20.0') {
      expect(body).toContain('"chart":{"repository":"","name":"","version":""},"values":null');
      expect(body).toContain('"strategicMergePatches":"","json6902Patches":null,"manifests":"apiVersion');
    } else {
      expect(body).toContain('"chart":{"name":""}');
    }
    expect(body.includes('"tenant":{}')).toBe(version === 'cli-v0.25.0' || version === 'cli-v0.27.0');
    expect(pushed.artifact).toMatchObject({ version: { repositoryName: 'acme/web', event: 'push' } });
    expect(pushed.artifact.id).toMatch(/^acme\/web-[0-9a-f-]{36}$/);
    expect(pushed.artifact.created).toBeGreaterThan(1_700_000_000);
    const listed = await c.artifactList({ repository: 'acme/web', sha: [pushed.artifact.version.sha] });
    expect(listed).toMatchObject({ exitCode: 0 });
    expect(listed.list.map((a: any) => a.id)).toEqual([pushed.artifact.id]);
  });

  it('artifact track --wait follows a policy deploy to Flux’s verdict (exit 0 on success, 1 on failure)', async () => {
    for (const verdict of ['succeeded', 'failed'] as Verdict[]) {
      const c = cli();
      const env = `${v}-policy-${verdict}`;
      const flux = fakeFlux(t, KEY, env, () => verdict);
      try {
        const pushed = await c.artifactPush(artifactFor(c, [manifestYaml(env, 'web', true)]));
        const tracked = await c.track('artifact', pushed.artifact.id, { wait: true, timeoutMs: 30_000 });
        // Never "processed" with no results before the policy processor ran (GimletD answered `new`).
        expect(tracked.stdout.join('\n')).not.toContain("didn't trigger any release policies");
        if (verdict === 'succeeded') {
          expect(tracked).toMatchObject({ exitCode: 0 });
          expect(tracked.stdout.at(-1)).toMatch(
            /📖 web -> .*, gitops hash [0-9a-f]{40}, status is ReconciliationSucceeded/,
          );
        } else {
          expect(tracked).toMatchObject({ exitCode: 1, error: 'gitops commits have failed to apply' });
          expect(tracked.stdout.at(-1)).toContain('status: ReconciliationFailed, HealthCheckFailed');
        }
      } finally {
        await flux.stop();
      }
    }
  });

  it('artifact track of an artifact without policies ends at once; of an unknown id fails with 404', async () => {
    const c = cli();
    const pushed = await c.artifactPush(artifactFor(c, [manifestYaml(`${v}-nopolicy`, 'web', false)]));
    const tracked = await c.track('artifact', pushed.artifact.id, { wait: true, timeoutMs: 20_000 });
    expect(tracked).toMatchObject({ exitCode: 0 });
    expect(tracked.stdout.at(-1)).toContain("The artifact didn't trigger any release policies");
    const unknown = await c.track('artifact', 'acme/web-00000000-0000-4000-8000-000000000000');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.error).toMatch(/^client error 404: .*not found/);
  });

  it('release make sends dx.ReleaseRequest as marshalled; release track --wait ends on Flux’s verdict', async () => {
    for (const verdict of ['succeeded', 'failed'] as Verdict[]) {
      const c = cli();
      const env = `${v}-make-${verdict}`;
      const flux = fakeFlux(t, KEY, env, () => verdict);
      try {
        const pushed = await c.artifactPush(artifactFor(c, [manifestYaml(env, 'web', false)]));
        const made = await c.releaseMake(env, pushed.artifact.id, 'web');
        const tenant = version === 'cli-v0.25.0' || version === 'cli-v0.27.0' ? '"tenant":"",' : '';
        expect(c.sent.at(-1)?.body).toBe(
          `{"env":"${env}","app":"web",${tenant}"artifactId":"${pushed.artifact.id}","triggeredBy":""}`,
        );
        expect(made.id).toMatch(/\S/);
        const tracked = await c.track('release', made.id as string, { wait: true, timeoutMs: 30_000 });
        expect(tracked.exitCode).toBe(verdict === 'succeeded' ? 0 : 1);
      } finally {
        await flux.stop();
      }
    }
  });

  it('release list --env skips delete and rollback commits; status after rollback and delete shows no empty release', async () => {
    const c = cli();
    const env = `${v}-history`;
    const v1 = await c.artifactPush(artifactFor(c, [manifestYaml(env, 'web', false)]));
    const v2 = await c.artifactPush(artifactFor(c, [manifestYaml(env, 'web', false)]));
    const sha1 = await released(c, env, 'web', v1.artifact.id);
    const sha2 = await released(c, env, 'web', v2.artifact.id);
    const rollback = await c.releaseRollback(env, 'web', sha1);
    expect(rollback).toMatchObject({ exitCode: 0 });
    await t.settle(rollback.id as string);
    const statusAfterRollback = await c.releaseStatus(env);
    expect(statusAfterRollback.stdout).toEqual([
      expect.stringMatching(new RegExp(`^web -> ${env} .*@[0-9a-f]{40} `)),
    ]);
    const deleted = await c.releaseDelete(env, 'web');
    // The delete has been carried out when the CLI says so.
    expect(deleted).toMatchObject({ exitCode: 0, stdout: ['🙆 Application instance deleted'] });
    expect(t.clone().git('ls-tree', '-r', '--name-only', 'HEAD')).not.toContain(`${env}/web/`);

    const status = await c.releaseStatus(env);
    expect(status).toMatchObject({ exitCode: 0, stdout: [], releases: {} });
    const byApp = await c.releaseStatus(env, 'web');
    expect(byApp.stdout).toEqual(['Release data not available']);

    const list = await c.releaseList(env, '', 10);
    expect(list.exitCode).toBe(0);
    expect(list.releases?.map((r) => r.gitopsRef)).toEqual([sha2, sha1]);
    const raw = await t.request('GET', `/api/releases?env=${env}&limit=10`);
    for (const entry of raw.body) {
      expect(typeof entry.gitopsCommitStatus).toBe('string');
      expect(typeof entry.gitopsCommitStatusDesc).toBe('string');
    }
    expect(list.releases?.map((r) => r.rolledBack ?? false)).toEqual([true, false]);
    const withApp = await c.releaseList(env, 'web', 10);
    expect(withApp.releases?.length).toBe(4);
    expect(withApp.releases?.[0]).toMatchObject({ artifactId: '', version: null });
  });

  it('release delete of an app that is not deployed succeeds like GimletD’s 200 {}', async () => {
    const deleted = await cli().releaseDelete(`${v}-empty`, 'ghost');
    expect(deleted).toMatchObject({ exitCode: 0 });
  });
});

describe('the Flux user, created the GimletD way', () => {
  it('gets the flux role and may post Flux events, and nothing else', async () => {
    // The GimletD seed's instructions: POST /api/user {"login":"flux"}, then use its token in the
    // Provider's address (`?access_token=`). cli-v0.20.0's model.User marshals {"login","token","admin"}.
    for (const body of ['{"login":"flux"}', '{"login":"flux","token":"","admin":false}']) {
      const created = await t.request('POST', '/api/user', {
        rawBody: body,
        headers: { 'content-type': 'application/json' },
      });
      expect(created).toMatchObject({ status: 201, body: { login: 'flux', role: 'flux', admin: false } });
      const user = goUnmarshal(
        {
          k: 'struct',
          name: 'model.User',
          fields: [
            { json: 'login', type: { k: 'string' } },
            { json: 'token', type: { k: 'string' } },
            { json: 'admin', type: { k: 'bool' } },
          ],
        },
        JSON.stringify(created.body),
      ) as { token: string };
      const event = await fetch(`${t.url}/api/flux-events?env=fluxuser&access_token=${user.token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'flux-system' },
          severity: 'info',
          timestamp: '2026-11-29T10:00:00Z',
          message: 'Reconciliation finished in 1s',
          reason: 'ReconciliationSucceeded',
          metadata: { revision: `main@sha1:${'a'.repeat(40)}` },
          reportingController: 'kustomize-controller',
        }),
      });
      expect(event.status).toBe(200);
      const artifacts = await t.request('GET', '/api/artifacts', { token: user.token });
      expect(artifacts.status).toBe(403);
      expect((await t.request('DELETE', '/api/user/flux')).status).toBe(204);
    }
  });
});
