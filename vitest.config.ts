import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    // The stand-ins are real processes; two workers keep a 2-core machine responsive.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Node 20 is a supported local runtime (Lambda runs 22); the SDK's reminder is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
