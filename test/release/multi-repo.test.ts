import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBareRepo, type GitServer, startGitServer } from '../../lib/local/git/git-server.ts';
import { artifact } from '../fixtures/artifacts.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const configMap = (app: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}\ndata:\n  value: "${value}"\n`;

/**
 * Two gitops repositories, as FERRY_GITOPS_REPOS maps them (GimletD's GITOPS_REPOS): staging in the
 * default one, production in its own. The default repository's server takes 3 s to accept a push (a slow
 * pre-receive hook), so a writer that serialises every write would hold production back behind it.
 */
describe('several gitops repositories', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-repos-'));
  let server: GitServer;
  let t: TestStack;
  let prodUrl: string;

  beforeAll(async () => {
    const slow = await createBareRepo(root, 'gitops.git');
    await createBareRepo(root, 'prod-gitops.git');
    const hook = join(slow, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\ncat >/dev/null\nsleep 3\n');
    chmodSync(hook, 0o755);
    server = await startGitServer({ root });
    prodUrl = server.repoUrl('prod-gitops.git');
    t = await startTestStack({
      remote: { url: server.repoUrl('gitops.git') },
      gitopsRepos: JSON.stringify([{ envs: ['production'], url: prodUrl }]),
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes each environment to its repository, in parallel across repositories and in order within each', async () => {
    // Prepare: one artifact per version, each carrying web for staging and for production.
    const versions = await Promise.all(
      ['v1', 'v2', 'v3'].map((v) =>
        t.ship(
          artifact({}, [
            { app: 'web', env: 'staging', manifests: configMap('web', v) },
            { app: 'web', env: 'production', manifests: configMap('web', v) },
          ]),
        ),
      ),
    );
    const deploy = async (env: string, n: number) =>
      (await t.request('POST', '/api/releases', { body: { env, app: 'web', artifactId: versions[n]?.id } }))
        .body.id as string;

    // Act: staging's write starts first and sits in its slow push; production is asked for after it.
    const staging = [await deploy('staging', 0)];
    await t.waitFor(staging[0] as string, (r) => r.state === 'queued');
    await new Promise((r) => setTimeout(r, 500));
    const production = [await deploy('production', 0)];
    // When each is seen done (the state is stored after the push).
    const seen: Record<string, number> = {};
    const [stagingFirst, prodFirst] = await Promise.all(
      [staging[0], production[0]].map((id, i) =>
        t.settle(id as string, 60_000).then((r) => {
          seen[i === 0 ? 'staging' : 'production'] = Date.now();
          return r;
        }),
      ),
    );
    for (const n of [1, 2]) {
      staging.push(await deploy('staging', n));
      production.push(await deploy('production', n));
    }
    const settled = await t.settleAll([...staging, ...production], 120_000);

    // Assess: production did not wait for staging's repository.
    expect(prodFirst.state).toBe('committed');
    expect(stagingFirst.state).toBe('committed');
    expect(seen.production).toBeLessThan(seen.staging as number);
    expect(settled.map((r) => r.state)).toEqual(settled.map(() => 'committed'));
    // Each repository holds only its environment, at the newest version, with every commit in order.
    const stagingRepo = t.clone();
    const prodRepo = t.clone({ url: prodUrl });
    const ls = (repo: typeof stagingRepo) =>
      repo.git('ls-tree', '-d', '--name-only', 'HEAD').trim().split('\n');
    expect(ls(stagingRepo)).toEqual(['staging']);
    expect(ls(prodRepo)).toEqual(['production']);
    expect(stagingRepo.git('show', 'HEAD:staging/web/configmap-web.yaml')).toContain('v3');
    expect(prodRepo.git('show', 'HEAD:production/web/configmap-web.yaml')).toContain('v3');
    const trailers = (repo: typeof stagingRepo) =>
      repo
        .git('log', '--reverse', '--format=%(trailers:key=Ferry-Request-Id,valueonly)')
        .split('\n')
        .filter((l) => l.trim() !== '');
    expect(trailers(stagingRepo)).toEqual(staging);
    expect(trailers(prodRepo)).toEqual(production);
  }, 240_000);
});
