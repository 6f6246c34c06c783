// A test whose prerequisite (a system package, a browser, a Python module) is missing must not pass silently.
// Under CI it fails with what is missing; elsewhere it is skipped with a loud line, and the closing line of the
// run counts it as skipped.
import type { Context } from 'mocha';

export const inCI = process.env.CI === 'true';

/** Call at the start of a before-hook or test: `missing` is undefined when the prerequisite is there. */
export function requirePrerequisite(context: Context, missing: string | undefined): void {
  if (missing === undefined) return;
  if (inCI) throw new Error(`prerequisite missing under CI (CI=true): ${missing}`);
  console.warn(`\n    !!! SKIPPED (prerequisite missing): ${missing}\n`);
  context.skip();
}
