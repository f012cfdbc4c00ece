import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/support/sequencer.ts';

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
  'test/adapters/remote-manifests.test.ts',
  'test/http/handler.test.ts',
  'test/local/http-server.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 90_000,
    // expect.poll waits on state (the dashboard's DOM): its 1 s default is too short on a loaded machine.
    expect: { poll: { timeout: 10_000 } },
    // Integration files mostly wait (on git processes, DynamoDB Local, the pipeline's polls), so three
    // files side by side keep a 2-core machine busy without starving it; the slowest start first.
    maxWorkers: 3,
    // A worker keeps its module graph from file to file (each file still starts its own stack on its own
    // table): importing the SDKs and the whole stack again per file was a large share of the run's CPU.
    // Test files restore whatever process state they change (process.env in the CDK tests).
    isolate: false,
    sequence: { sequencer: SlowestFirst },
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
