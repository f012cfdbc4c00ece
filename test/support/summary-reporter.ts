import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, `tests: N passed, N failed, N skipped`, that any CI log reader can count,
 * after vitest's own summary. Files that failed to load count as failures.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const count = (state: 'passed' | 'failed' | 'skipped') =>
      testModules.reduce((sum, m) => sum + [...m.children.allTests(state)].length, 0);
    const brokenFiles = testModules.filter((m) => m.state() === 'failed' && m.children.size === 0).length;
    const failed = count('failed') + brokenFiles + unhandledErrors.length;
    process.stdout.write(
      `\ntests: ${count('passed')} passed, ${failed} failed, ${count('skipped')} skipped\n`,
    );
  }
}
