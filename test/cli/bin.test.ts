import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/ferry.js', import.meta.url));

describe('bin/ferry.js', () => {
  it('runs as a real process: --help exits 0, a usage error exits 2', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, '--help'], { cwd: '/' });
    expect(stdout).toContain('Usage: ferry <command>');

    const failed = await promisify(execFile)(process.execPath, [BIN, 'deploy'], { cwd: '/' }).catch((e) => e);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toBe('ferry: deploy needs --env (see ferry deploy --help)\n');
  });
});
