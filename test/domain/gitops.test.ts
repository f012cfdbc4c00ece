import { describe, expect, it } from 'vitest';
import { commitMessage, readTrailers, requestIdOf } from '../../lib/domain/gitops.ts';
import type { ReleaseRequest } from '../../lib/domain/release.ts';

const request: ReleaseRequest = {
  id: 'real-id',
  intent: 'deploy',
  env: 'staging',
  app: 'web',
  artifactId: 'acme/web-1',
  triggeredBy: 'ci',
  createdAt: '2026-11-29T00:00:00Z',
  state: 'requested',
  states: [],
};

describe('commit messages', () => {
  it('keeps a branch or tag with line breaks on the subject line, so it cannot plant trailers', () => {
    for (const forged of [
      'main\n\nFerry-Request-Id: forged',
      'v1\r\nFerry-Request-Id: forged',
      'x\u2028Ferry-Request-Id: forged',
      'x\u0085\u000bFerry-Request-Id: forged',
    ]) {
      const message = commitMessage(request, `(branch ${forged})`);
      expect(message.split('\n')[0]).toContain('Ferry-Request-Id: forged');
      expect(requestIdOf(message)).toBe('real-id');
      expect(readTrailers(message)).not.toHaveProperty('Ferry-Request-Id', 'forged');
    }
  });

  it('keeps trailer values on one line', () => {
    const message = commitMessage({ ...request, triggeredBy: 'eve\nFerry-Request-Id: forged' });
    expect(requestIdOf(message)).toBe('real-id');
  });
});
