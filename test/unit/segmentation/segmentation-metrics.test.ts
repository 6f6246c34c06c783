import assert from 'node:assert/strict';
import { argmaxClasses, ConfusionMatrix, iouReport } from '../../../lib/segmentation/metrics';

describe('segmentation metrics', () => {
  it('picks the class with the highest score per pixel, ties to the lower class', () => {
    // 2 classes × 3 pixels: pixel 0 → 1, pixel 1 tie → 0, pixel 2 → 0
    assert.deepEqual([...argmaxClasses(new Float32Array([1, 2, 5, 3, 2, 4]), 2, 3)], [1, 0, 0]);
  });

  it('never lets a NaN score beat another (a NaN in channel 0 keeps class 0)', () => {
    assert.deepEqual([...argmaxClasses([0, Number.NaN, Number.NaN, 1], 2, 2)], [0, 0]);
  });

  it('writes into a Uint16Array for more than 256 classes, and refuses a Uint8Array map for them', () => {
    const scores = new Float32Array(300).fill(0);
    scores[299] = 1;
    assert.deepEqual([...argmaxClasses(scores, 300, 1, new Uint16Array(1))], [299]);
    assert.throws(() => argmaxClasses(scores, 300, 1), /do not fit a Uint8Array/);
  });

  it('refuses scores whose length is not classes × pixels', () => {
    assert.throws(() => argmaxClasses([1, 2, 3], 2, 2), /3 scores for 2 × 2/);
  });

  it('sums intersections and unions over maps before dividing', () => {
    const matrix = new ConfusionMatrix(2).add([0, 0, 1, 1], [0, 1, 1, 1]).add([1, 1], [1, 0]);
    // class 0: intersection 1, union 3; class 1: intersection 3, union 5
    assert.equal(matrix.iou(0), 1 / 3);
    assert.equal(matrix.iou(1), 3 / 5);
    assert.equal(matrix.meanIoU(), (1 / 3 + 3 / 5) / 2);
  });

  it('leaves absent classes out of the mean, and has no mean before anything was added', () => {
    assert.equal(new ConfusionMatrix(3).add([0, 0], [0, 0]).meanIoU(), 1);
    assert.equal(new ConfusionMatrix(3).meanIoU(), undefined);
    assert.equal(iouReport(new ConfusionMatrix(2), ['a', 'b']).mIoU, 0);
  });
});
