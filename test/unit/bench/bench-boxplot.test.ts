import assert from 'node:assert/strict';
import { boxPlotSvg, boxStats } from '../../../bench/boxplot';

describe('bench box plot', () => {
  it('computes quartiles, whiskers within 1.5 IQR and outliers', () => {
    const b = boxStats([10, 11, 12, 13, 14, 100]);
    assert.equal(b.median, 12.5);
    assert.equal(b.q1, 11.25);
    assert.equal(b.q3, 13.75);
    assert.equal(b.max, 14);
    assert.deepEqual(b.outliers, [100]);
  });

  it('draws one box per model and variant with the title and a legend', () => {
    const svg = boxPlotSvg('FP32 vs int8 — x64, AVX-512 VNNI', 'ms', [
      { label: 'deeplabv3 R50 1T', series: [{ label: 'FP32', values: [100, 110, 105] }, { label: 'int8', values: [30, 35, 32] }] },
      { label: 'deeplabv3 R50 2T', series: [{ label: 'FP32', values: [60, 62] }, { label: 'int8', values: [] }] },
    ]);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal(svg.match(/class="box"/g)?.length, 3, 'a series without runs draws no box');
    assert.match(svg, />FP32 vs int8 — x64, AVX-512 VNNI</);
    assert.match(svg, />int8</);
    assert.ok(svg.trim().endsWith('</svg>'));
  });
});
