import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

const run = promisify(execFile);
const APPS = 100;
const identity = {
  GIT_AUTHOR_NAME: 'Outside',
  GIT_AUTHOR_EMAIL: 'outside@example.com',
  GIT_COMMITTER_NAME: 'Outside',
  GIT_COMMITTER_EMAIL: 'outside@example.com',
};

/** Another tool pushing to the same branch the way CI scripts do: commit, pull --rebase, push, retry. */
async function outsideWriter(url: string, until: () => boolean): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-outside-'));
  const git = (...args: string[]) =>
    run('git', ['-C', dir, ...args], { env: { ...process.env, ...identity } }).then((r) => r.stdout.trim());
  const subjects: string[] = [];
  try {
    await run('git', ['clone', '-q', url, dir]);
    for (let n = 0; !until() || n < 5; n++) {
      writeFileSync(join(dir, `outside-${n}.txt`), `${n}\n`);
      await git('add', '-A');
      const subject = `outside change ${n}`;
      await git('commit', '-q', '-m', subject);
      // A careful script backs off with jitter after a lost race: Ferry's writer pushes a batch every few
      // hundred milliseconds while it drains, so retrying at once can lose every time.
      for (let attempt = 0; ; attempt++) {
        try {
          await git('pull', '-q', '--rebase', 'origin', 'main');
          await git('push', '-q', 'origin', 'HEAD:main');
          break;
        } catch (error) {
          if (attempt > 60) throw error;
          await new Promise((resolve) =>
            setTimeout(resolve, 50 + Math.random() * 100 * Math.min(attempt + 1, 8)),
          );
        }
      }
      subjects.push(subject);
      // A busy CI system: about a push a second, for as long as Ferry writes.
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    return subjects;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('an outside writer on the same branch', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack();
  }, 60_000);
  afterAll(async () => t?.close());

  it(`loses none of its commits, and none of ${APPS} Ferry releases, while both push`, async () => {
    // Prepare: one artifact carrying APPS apps, and a first commit on the branch.
    const environments = Array.from({ length: APPS }, (_, i) => ({
      app: `app-${i}`,
      env: 'staging',
      manifests: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${i}\n`,
    }));
    const shipped = await t.ship(artifact({}, environments));
    const first = await t.request('POST', '/api/releases', {
      body: { env: 'staging', app: 'app-0', artifactId: shipped.id },
    });
    await t.settle(first.body.id);

    // Act: the outside writer pushes in a loop while the other releases are requested and written.
    let finished = false;
    const outside = outsideWriter(t.stack.gitops.url, () => finished);
    const ids: string[] = [first.body.id];
    for (let i = 1; i < APPS; i++) {
      const res = await t.request('POST', '/api/releases', {
        body: { env: 'staging', app: `app-${i}`, artifactId: shipped.id },
      });
      ids.push(res.body.id);
    }
    // Releases against a remote someone else keeps pushing to: every lost race is a fetch and a re-apply.
    // 100 keep the outside writer racing the whole drain (about one push a second) for about 25 s here;
    // the writer's throughput at 200 releases and beyond is bench/writer.ts's. The bound is wide.
    const settled = await t.settleAll(ids, 300_000);
    finished = true;
    const outsideSubjects = await outside;

    // Assess: every release committed once and reachable, every outside commit still on the branch.
    // One-ConfigMap folders, one per app: the Flux oracle's kustomize build per app would outlast the hook; other
    // tests judge what a deploy writes.
    const repo = t.clone({ fluxCheck: false });
    const log = repo.git('log', '--format=%H %s', 'main').trim().split('\n');
    const shas = new Set(log.map((line) => line.split(' ')[0]));
    expect(settled.map((r) => r.state)).toEqual(ids.map(() => 'committed'));
    for (const r of settled) expect(shas.has(r.gitopsSha), r.gitopsSha).toBe(true);
    const trailers = repo.git('log', '--format=%(trailers:key=Ferry-Request-Id,valueonly)', 'main');
    const requestIds = trailers.split('\n').filter((l) => l.trim() !== '');
    expect(requestIds.sort()).toEqual([...ids].sort());
    expect(outsideSubjects.length).toBeGreaterThanOrEqual(5);
    for (const subject of outsideSubjects)
      expect(
        log.some((line) => line.endsWith(subject)),
        subject,
      ).toBe(true);
    const files = repo.git('ls-tree', '-r', '--name-only', 'HEAD');
    for (let i = 0; i < APPS; i++) expect(files).toContain(`staging/app-${i}/release.json`);
  }, 360_000);
});
