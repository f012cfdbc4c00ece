import { describe, expect, it } from 'vitest';
import type { CallContext } from '../../lib/app/audit.ts';
import type { ReleaseStore } from '../../lib/app/ports.ts';
import { type ReleaseDeps, requestDelete } from '../../lib/app/releases.ts';
import { ReleaseFailedError } from '../../lib/domain/errors.ts';
import { advance, type ReleaseRequest, type ReleaseState } from '../../lib/domain/release.ts';
import { statusOf } from '../../lib/http/errors.ts';

/**
 * The gimlet CLI prints "deleted" on any 2xx and never tracks a delete (cli-v0.25.0
 * pkg/commands/release/delete.go), and GimletD deleted inside the request: so `POST /api/delete` waits
 * for the writer's outcome. A release store stands in for the writer here, ending the request as told.
 */
const call: CallContext = {
  principal: { login: 'dev', role: 'ci', tokenId: 't1' },
  requestId: 'r1',
  clock: { now: () => new Date('2026-11-29T10:00:00Z') },
};

function storeEndingIn(state: ReleaseState, reason?: string, afterPolls = 2): ReleaseStore {
  let stored: ReleaseRequest | undefined;
  let polls = 0;
  return {
    async create({ request }) {
      stored = request;
      return request;
    },
    async get() {
      polls += 1;
      if (stored && polls === afterPolls && state !== 'requested') {
        stored =
          advance(stored, { state, at: '2026-11-29T10:00:01Z', ...(reason ? { reason } : {}) }) ?? stored;
      }
      return stored;
    },
  } as Partial<ReleaseStore> as ReleaseStore;
}

const deps = (releases: ReleaseStore, deleteWaitMs = 5_000): ReleaseDeps =>
  ({ releases, artifacts: {} as ReleaseDeps['artifacts'], deleteWaitMs }) as ReleaseDeps;

describe('POST /api/delete waits for the writer', () => {
  it('answers once the delete is committed', async () => {
    const request = await requestDelete(deps(storeEndingIn('committed')), call, {
      env: 'staging',
      app: 'web',
    });
    expect(request.state).toBe('committed');
  });

  it('turns a delete the writer failed into a 422 naming the reason', async () => {
    const failing = requestDelete(deps(storeEndingIn('failed', 'push refused: remote is read-only')), call, {
      env: 'staging',
      app: 'web',
    });
    await expect(failing).rejects.toThrow(ReleaseFailedError);
    await expect(failing).rejects.toThrow(/delete of staging\/web failed: push refused: remote is read-only/);
    expect(statusOf(await failing.catch((e) => e))).toBe(422);
  });

  it('returns the request as it stands when the writer has not taken it within the wait', async () => {
    const request = await requestDelete(deps(storeEndingIn('requested'), 300), call, {
      env: 'staging',
      app: 'web',
    });
    expect(request.state).toBe('requested');
  });
});
