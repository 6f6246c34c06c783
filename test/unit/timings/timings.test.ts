// Stage times as the statuses and the sidebar show them.
import assert from 'node:assert/strict';
import { formatMs, stageTimings, totalMs } from '../../../lib/timings';

describe('timings', () => {
  it('sums every stage a message carries', () => {
    assert.equal(totalMs({ decode: 4, preprocess: 2.5, queue: 0.5, infer: 30, postprocess: 3, condition: 0.25 }), 40.25);
  });

  it('ignores what is not a stage time (hand-made msg.timings from function nodes)', () => {
    assert.deepEqual(stageTimings({ decode: 4, note: 'fast', bad: NaN, negative: -3, inf: Infinity, list: [1] }), { decode: 4 });
    for (const odd of [undefined, null, 'x', 5, [1, 2]]) assert.equal(totalMs(odd), 0, String(odd));
  });

  it('formats ms short: one decimal below 10, whole numbers from 10', () => {
    assert.deepEqual([0, 0.04, 0.44, 3.25, 9.94, 9.96, 12.4, 140.6].map(formatMs), ['0.0', '0.0', '0.4', '3.3', '9.9', '10', '12', '141']);
    assert.equal(formatMs(NaN), '?');
    assert.equal(formatMs(-1), '?');
  });
});
