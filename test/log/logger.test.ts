import { describe, expect, it } from 'vitest';
import { makeLogger } from '../../lib/log/logger.ts';

describe('logger', () => {
  it('redacts credential-named fields at any depth but keeps public token ids', () => {
    // Prepare
    const lines: string[] = [];
    const log = makeLogger((line) => lines.push(line), { fn: 'test' });
    // Act
    log.info('hello', {
      tokenId: 'tok_abc',
      headers: { Authorization: 'Bearer s3cr3t', 'x-signature': 'sha256=1' },
      list: [{ access_token: 's3cr3t' }],
      adminSecret: 's3cr3t',
      password: 's3cr3t',
    });
    // Assess
    const entry = JSON.parse(lines[0] ?? '{}');
    expect(lines.join('')).not.toContain('s3cr3t');
    expect(entry).toMatchObject({
      level: 'info',
      message: 'hello',
      fn: 'test',
      tokenId: 'tok_abc',
      headers: { Authorization: '[redacted]', 'x-signature': '[redacted]' },
      list: [{ access_token: '[redacted]' }],
    });
  });

  it('writes errors as name, message and stack', () => {
    const lines: string[] = [];
    makeLogger((line) => lines.push(line)).error('boom', { error: new TypeError('bad thing') });
    expect(JSON.parse(lines[0] ?? '{}').error).toMatchObject({ name: 'TypeError', message: 'bad thing' });
  });
});
