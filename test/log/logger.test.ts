import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { instrument } from '../../lib/log/instrument.ts';
import { withCorrelationId } from '../../lib/log/invocation.ts';
import { logLevel, makeLogger } from '../../lib/log/logger.ts';

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

describe('logger on Powertools', () => {
  it('keeps an error cause, redacted like the rest', () => {
    const lines: string[] = [];
    const cause = Object.assign(new Error('socket hang up Bearer abc.def'), { code: 'ECONNRESET' });
    makeLogger((line) => lines.push(line)).error('push failed', {
      error: new Error('git push failed', { cause }),
    });
    const entry = JSON.parse(lines[0] ?? '{}');
    expect(entry.error).toMatchObject({
      message: 'git push failed',
      cause: { name: 'Error', message: 'socket hang up [redacted]', code: 'ECONNRESET' },
    });
  });

  it('writes only entries at or above the level FERRY_LOG_LEVEL names', () => {
    const lines: string[] = [];
    const log = makeLogger((line) => lines.push(line), {}, logLevel({ FERRY_LOG_LEVEL: 'warn' }));
    log.info('chatty');
    log.debug?.('chattier');
    log.warn('careful');
    log.error('broken');
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(['warn', 'error']);
    expect(logLevel({ FERRY_LOG_LEVEL: 'nonsense' })).toBe('INFO');
    expect(logLevel({ FERRY_LOG_LEVEL: 'debug' })).toBe('DEBUG');
  });

  it('carries the invocation and, inside withCorrelationId, the release it works for', async () => {
    // A function name of this test's own: the cold start is per name and per process, and test files
    // share a worker's process (an earlier file may have run an `sqs-write` invocation).
    const functionName = `sqs-write-${randomUUID()}`;
    const lines: string[] = [];
    const log = makeLogger((line) => lines.push(line));
    const metrics: string[] = [];
    const handler = instrument(
      async () => {
        log.info('batch');
        await withCorrelationId('req-1', async () => log.info('one release'));
        withCorrelationId(['req-1', 'req-2'], () => log.info('two releases'));
      },
      { functionName, sink: (line) => metrics.push(line) },
    );
    await handler({}, { awsRequestId: 'aws-1' });
    await handler({}, {});
    log.info('outside');
    const [batch, one, two, , , , outside] = lines.map((l) => JSON.parse(l));
    expect(batch).toMatchObject({
      function_name: functionName,
      function_request_id: 'aws-1',
      cold_start: true,
    });
    expect(batch.correlation_id).toBeUndefined();
    expect(one).toMatchObject({ correlation_id: 'req-1', function_request_id: 'aws-1' });
    expect(two).toMatchObject({ correlation_ids: ['req-1', 'req-2'] });
    expect(JSON.parse(lines[3] ?? '{}').cold_start).toBe(false);
    expect(outside.function_name).toBeUndefined();
    expect(metrics).toEqual([]);
  });
});
