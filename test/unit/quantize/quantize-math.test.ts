import assert from 'node:assert/strict';
import {
  asymmetricParams, biasScale, quantizeBias, quantizeValues, quantizeWeightsPerChannel, roundHalfToEven, symmetricParams,
} from '../../../lib/quantize/math';
import { Histogram, entropyRange, mseRange, percentileRange } from '../../../lib/quantize/histogram';

const f = Math.fround;

describe('quantization math', () => {
  it('rounds halves to even like QuantizeLinear', () => {
    assert.deepEqual([2.5, 3.5, -2.5, -3.5, 2.4, 2.6].map(roundHalfToEven), [2, 4, -2, -4, 2, 3]);
  });

  it('computes asymmetric uint8 and int8 parameters', () => {
    // range [-1, 3]: scale 4/255, zero point 1/scale = 63.75 → 64 (uint8), -128 + 63.75 → -64 (int8)
    assert.deepEqual(asymmetricParams({ min: -1, max: 3 }, 'uint8'), { scale: f(4 / 255), zeroPoint: 64, type: 'uint8' });
    assert.deepEqual(asymmetricParams({ min: -1, max: 3 }, 'int8'), { scale: f(4 / 255), zeroPoint: -64, type: 'int8' });
  });

  it('widens all-positive and all-negative ranges to include 0 exactly', () => {
    const positive = asymmetricParams({ min: 2, max: 5 }, 'uint8');
    assert.deepEqual(positive, { scale: f(5 / 255), zeroPoint: 0, type: 'uint8' });
    assert.equal(asymmetricParams({ min: 2, max: 5 }, 'int8').zeroPoint, -128);
    const negative = asymmetricParams({ min: -6, max: -1 }, 'uint8');
    assert.deepEqual(negative, { scale: f(6 / 255), zeroPoint: 255, type: 'uint8' });
    // 0 quantizes to the zero point and back to exactly 0
    assert.equal(quantizeValues([0], positive)[0], positive.zeroPoint);
  });

  it('gives degenerate ranges a usable scale', () => {
    assert.deepEqual(asymmetricParams({ min: 0, max: 0 }, 'uint8'), { scale: 1, zeroPoint: 0, type: 'uint8' });
    assert.deepEqual(symmetricParams({ min: 0, max: 0 }, 'int8'), { scale: 1, zeroPoint: 0, type: 'int8' });
    assert.deepEqual(asymmetricParams({ min: Infinity, max: -Infinity }, 'int8'), { scale: 1, zeroPoint: 0, type: 'int8' });
  });

  it('computes symmetric int8 parameters on the restricted range ±127', () => {
    assert.deepEqual(symmetricParams({ min: -2, max: 1 }, 'int8'), { scale: f(2 / 127), zeroPoint: 0, type: 'int8' });
    assert.deepEqual(Array.from(quantizeValues([2, -2, 1, 5], symmetricParams({ min: -2, max: 1 }, 'int8'), true)), [127, -127, 64, 127]);
  });

  it('quantizes weights per output channel', () => {
    const weights = Float32Array.from([1, -0.3, 0.25, 2, -1.1, 0]);
    const { values, scales } = quantizeWeightsPerChannel(weights, [2, 3], 0);
    assert.deepEqual(Array.from(scales), [f(1 / 127), f(2 / 127)]);
    // 1 → 127, -0.3·127 = -38.1 → -38, 0.25·127 = 31.75 → 32; 2 → 127, -1.1·63.5 = -69.85 → -70, 0 → 0
    assert.deepEqual(Array.from(values), [127, -38, 32, 127, -70, 0]);
  });

  it('quantizes per channel along an inner axis (MatMul columns)', () => {
    const { scales, values } = quantizeWeightsPerChannel(Float32Array.from([1, 4, -0.5, -2]), [2, 2], 1);
    assert.deepEqual(Array.from(scales), [f(1 / 127), f(4 / 127)]);
    assert.deepEqual(Array.from(values), [127, 127, -64, -64]);
  });

  it('gives the bias the float32 product of input and weight scales, as ORT checks it', () => {
    const product = new Float32Array([f(0.1) * f(0.2)])[0];
    assert.equal(biasScale(0.1, 0.2), product);
    const bias = quantizeBias(Float32Array.from([0.5, -0.25]), 0.1, Float32Array.from([0.2, 0.05]));
    assert.deepEqual(Array.from(bias.scales), [biasScale(0.1, 0.2), biasScale(0.1, 0.05)]);
    assert.deepEqual(Array.from(bias.values), [Math.round(0.5 / bias.scales[0]!), Math.round(-0.25 / bias.scales[1]!)]);
    assert.deepEqual(Array.from(bias.values), [25, -50]);
  });
});

describe('histogram calibration', () => {
  function histogramOf(values: number[]): Histogram {
    const data = Float32Array.from(values);
    const hist = new Histogram(Math.min(...values), Math.max(...values));
    hist.add(data);
    return hist;
  }
  const bulk = Array.from({ length: 10000 }, (_, i) => (i % 1000) / 1000); // uniform 0 … 0.999
  const withOutlier = [...bulk, 100];

  it('percentile clips rare outliers and keeps 0 in the range', () => {
    const range = percentileRange(histogramOf(withOutlier), 99.9);
    assert.equal(range.min, 0);
    assert.ok(range.max > 0.95 && range.max < 1.2, `max ${range.max}`);
  });

  it('entropy clips rare outliers', () => {
    const range = entropyRange(histogramOf(withOutlier));
    assert.equal(range.min, 0);
    assert.ok(range.max >= 0.9 && range.max < 50, `max ${range.max}`);
  });

  it('streams batches whose range grows (doubling the histogram) with the exact extremes kept', () => {
    const streamed = new Histogram();
    streamed.add(Float32Array.from(bulk.slice(0, 100).map((v) => v * 0.1))); // first batch: 0 … 0.1
    for (let i = 0; i < bulk.length; i += 1000) streamed.add(Float32Array.from(bulk.slice(i, i + 1000)));
    streamed.add(Float32Array.of(-3, 100));
    assert.equal(streamed.lowest, -3);
    assert.equal(streamed.highest, 100);
    assert.ok(streamed.min <= -3 && streamed.max >= 100);
    assert.equal(streamed.counts.reduce((a, b) => a + b, 0), 100 + bulk.length + 2);
    const range = percentileRange(streamed, 99.9);
    assert.ok(range.max > 0.95 && range.max < 1.2, `max ${range.max}`);
    assert.equal(range.min, 0); // the lone -3 is an outlier the percentile clips
  });

  it('mse trades clipping error against rounding error by how many values each affects', () => {
    // One value at 100: with 10⁴ others in [0, 1) keeping it costs less rounding error than clipping it …
    assert.ok(mseRange(histogramOf(withOutlier)).max > 90);
    // … with 10⁶ others clipping part of it is cheaper: at 44, 56² of clipping error against (44/255)²/12 per value.
    const dense = new Histogram();
    for (let i = 0; i < 100; i++) dense.add(Float32Array.from(bulk));
    dense.add(Float32Array.of(100));
    const clipped = mseRange(dense);
    assert.equal(clipped.min, 0);
    assert.ok(clipped.max > 30 && clipped.max < 60, `max ${clipped.max}`);
    const uniform = mseRange(histogramOf(bulk));
    assert.ok(uniform.max > 0.95, `a uniform distribution keeps (nearly) all its range: ${uniform.max}`);
  });

  it('keeps both sides of a signed distribution', () => {
    const range = percentileRange(histogramOf([...bulk.map((v) => v - 0.5), -40, 40]), 99.9);
    assert.ok(range.min < -0.45 && range.min > -1, `min ${range.min}`);
    assert.ok(range.max > 0.45 && range.max < 1, `max ${range.max}`);
  });
});

describe('calibration memory grouping', () => {
  it('groups consecutive tensors under the byte budget, a larger tensor alone', async () => {
    const { groupByBytes } = await import('../../../lib/quantize/calibrate');
    const sizes = new Map([['a', 40], ['b', 50], ['c', 20], ['d', 150], ['e', 10], ['f', 10]]);
    assert.deepEqual(groupByBytes(['a', 'b', 'c', 'd', 'e', 'f'], sizes, 100), [['a', 'b'], ['c'], ['d'], ['e', 'f']]);
  });
});
