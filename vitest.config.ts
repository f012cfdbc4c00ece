import { defineConfig } from 'vitest/config';

/**
 * Two tiers, one command (`npm test` runs both). `unit`: the domain, the CLI's commands, the HTTP and log
 * helpers, with in-memory ports and mocks; no process, no real wait, so `npx vitest run --project unit`
 * takes seconds. `integration`: the real local stand-ins, with one DynamoDB Local for the whole run
 * started by the global setup, and fauxqs, git http-backend, the git CLI, fake Slack and GitHub servers
 * with their real waits, the CDK synth and bundles where a test needs them.
 */
const UNIT = [
  'test/domain/**/*.test.ts',
  'test/cli/commands.test.ts',
  'test/cli/artifact-github.test.ts',
  'test/cli/wait.test.ts',
  'test/log/**/*.test.ts',
  'test/adapters/admin-credential.test.ts',
  'test/http/handler.test.ts',
  'test/local/http-server.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 90_000,
    // The stand-ins are real processes; two workers keep a 2-core machine responsive.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Node 20 is a supported local runtime (Lambda runs 24); the SDK's reminder is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: UNIT,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
