import assert from 'node:assert/strict';
import { boxPlotSvg, boxStats } from '../../../bench/boxplot';
import { formatPaperBench, paperBoxPlot, type PaperRow } from '../../../bench/paper';

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

describe('paper bench report', () => {
  const agreement = (iou: number, cosine: number) => ({ name: 'out', kind: 'classMap' as const, metric: 'mIoU' as const, score: iou, iou, maxAbsDiff: 1, cosine });
  const rows: PaperRow[] = [{
    model: 'deeplabv3_resnet50', bytes: [1000, 253, 252],
    runs: { 1: [[300, 310, 290], [100, 100, 100], [400, 420, 410]], 2: [[160, 170, 150], [50, 55, 60], [220, 230, 240]] },
    agreement: { static: agreement(0.9, 0.999), dynamic: agreement(0.95, 0.9995) }, quantizeSeconds: { static: 12, dynamic: 3 },
  }];

  it('tables mean (median), speed-ups of the mean, slower where slower, size ratios and agreement', () => {
    const text = formatPaperBench(rows);
    assert.match(text, /\| deeplabv3_resnet50 \| 1 \| 300 \(300\) \| 100 \(100\) \| 410 \(410\) \| 3\.00× \| 0\.73× \(slower\) \| 0\.253 \/ 0\.252 \| 0\.900, 0\.9990 \/ 0\.950, 0\.9995 \|/);
    assert.match(text, /\| deeplabv3_resnet50 \| 2 \| 160 \(160\) \| 55 \(55\) \| 230 \(230\) \| 2\.91× \|/);
    assert.match(text, /Random weights/);
  });

  it('draws six boxes for one model at two thread counts, with the CPU in the subtitle', () => {
    const svg = paperBoxPlot(rows);
    assert.equal(svg.match(/class="box"/g)?.length, 6);
    assert.match(svg, /(VNNI|without VNNI|CPU flags unknown|arm64)/);
  });
});
