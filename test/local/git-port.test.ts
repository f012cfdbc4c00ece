import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startLocalStack } from '../../lib/local/stack.ts';
import { silentLogger } from '../../lib/log/logger.ts';

/** A clone made before a restart of `npm start` must keep working: the gitops server keeps its port. */
describe('the local gitops server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-gitport-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const start = (gitPort?: number) =>
    startLocalStack({
      port: 0,
      dataDir,
      logger: silentLogger,
      ...(gitPort !== undefined ? { gitPort } : {}),
      shared: { dynamoEndpoint: inject('dynamoEndpoint'), tableName: `g-${randomUUID()}` },
    });

  it('keeps its port across restarts (remembered in the data dir), unless FERRY_GIT_PORT names one', async () => {
    const first = await start();
    const url = first.gitops.url;
    await first.stop();
    const second = await start();
    expect(second.gitops.url).toBe(url);
    await second.stop();
    expect(readFileSync(join(dataDir, 'git-port'), 'utf8').trim()).toBe(new URL(url).port);
    const chosen = Number(new URL(url).port) + 1 > 65535 ? 20000 : Number(new URL(url).port) + 1;
    const third = await start(chosen);
    expect(new URL(third.gitops.url).port).toBe(String(chosen));
    await third.stop();
  }, 90_000);
});
