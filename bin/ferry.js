#!/usr/bin/env node
// The CLI ships as TypeScript: tsx compiles lib/cli on the fly, so there is no build step to forget.
// The tsconfig is pinned to Ferry's own, or tsx would pick up one from the repository it runs in.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../lib/cli/main.ts');

// exitCode rather than exit(): output still in flight to a pipe is written before the process ends.
process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});
