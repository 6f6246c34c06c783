// Mocha's spec reporter plus the plain closing line that CI and people read: "tests: N passed, N failed, N skipped".
// Skipped tests are counted apart, so a run that skips what it cannot run never looks like a full pass.
import Mocha from 'mocha';

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
      // After the spec reporter's own epilogue, which it prints on the same event.
      process.nextTick(() => console.log(`\ntests: ${passes} passed, ${failures} failed, ${pending} skipped`));
    });
  }
}

export = SummaryReporter;
