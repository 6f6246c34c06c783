import assert from 'node:assert/strict';
import { isPipelineError } from '../../lib/errors';

/** The code and message of the PipelineError a promise (or function) is refused with; fails if it is not refused. */
export async function refusal(attempt: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string }> {
  try {
    await (typeof attempt === 'function' ? attempt() : attempt);
  } catch (err) {
    assert.ok(isPipelineError(err), `expected a PipelineError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  throw new assert.AssertionError({ message: 'expected a refusal, but it succeeded' });
}
