import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildModel, makeNode, makeTensor, makeValueInfo } from '../../../lib/onnx';
import { quantizeModel, type CalibrationSample } from '../../../lib/quantize';
import { weightRoundingShift } from '../../../lib/quantize/bias-correction';
import { noise } from '../../helpers/quant-models';

const CHANNELS = 8;

/** x[1,8,10,10] → 1×1 Conv (bias) → Relu → depthwise 3×3 Conv without bias or padding → y[1,8,8,8]. */
function depthwiseModel(): Uint8Array {
  return buildModel({
    nodes: [
      makeNode('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [1, 1] }, 'mix'),
      makeNode('Relu', ['c1'], ['r1'], {}, 'relu'),
      makeNode('Conv', ['r1', 'w2'], ['y'], { kernel_shape: [3, 3], group: CHANNELS }, 'depthwise'),
    ],
    inputs: [makeValueInfo('x', 'float32', [1, CHANNELS, 10, 10])],
    outputs: [makeValueInfo('y', 'float32', [1, CHANNELS, 8, 8])],
    initializers: [
      makeTensor('w1', 'float32', [CHANNELS, CHANNELS, 1, 1], noise(CHANNELS * CHANNELS, 3).map((v) => v * 0.4)),
      makeTensor('b1', 'float32', [CHANNELS], noise(CHANNELS, 4).map((v) => 1 + v * 0.2)),
      makeTensor('w2', 'float32', [CHANNELS, 1, 3, 3], noise(CHANNELS * 9, 5)),
    ],
    opset: 17,
  });
}

/** Inputs with a clear positive mean, as image features after a Relu have: the case bias correction is for. */
function samples(count: number, seed: number): CalibrationSample[] {
  return Array.from({ length: count }, (_, i) => ({ x: { data: noise(CHANNELS * 100, seed + i).map((v) => 1 + 0.5 * v), dims: [1, CHANNELS, 10, 10] } }));
}

/** Mean over channels of |mean over pixels and inputs of (int8 − float)|: the systematic part of the error. */
async function meanShift(floatModel: Uint8Array, int8Model: Uint8Array, inputs: CalibrationSample[]): Promise<number> {
  const a = await ort.InferenceSession.create(floatModel);
  const b = await ort.InferenceSession.create(int8Model, { graphOptimizationLevel: 'all' });
  const sums = new Float64Array(CHANNELS);
  for (const sample of inputs) {
    const feed = { x: new ort.Tensor('float32', sample.x!.data, sample.x!.dims) };
    const ya = (await a.run(feed)).y!.data as Float32Array;
    const yb = (await b.run(feed)).y!.data as Float32Array;
    for (let i = 0; i < ya.length; i++) sums[Math.floor(i / 64)]! += yb[i]! - ya[i]!;
  }
  await a.release();
  await b.release();
  return sums.reduce((s, v) => s + Math.abs(v), 0) / CHANNELS / (64 * inputs.length);
}

describe('bias correction', function () {
  this.timeout(20000);

  it('computes the output shift of rounded weights from the input means, per group', () => {
    // 2 output channels, 2 groups of 1 input channel, 1×2 kernels: channel c sees input c.
    const weights = { values: Float32Array.of(0.5, 0.25, -1, 2), dims: [2, 1, 1, 2], group: 2 };
    const quantized = Float32Array.of(0.5, 0.5, -1, 1.5);
    assert.deepEqual([...weightRoundingShift(weights, quantized, Float64Array.of(4, -2))], [(0.25) * 4, (-0.5) * -2]);
    // One group: both output channels see both inputs.
    const dense = { values: Float32Array.of(0, 0, 0, 0), dims: [2, 2, 1, 1], group: 1 };
    assert.deepEqual([...weightRoundingShift(dense, Float32Array.of(1, 2, 3, 4), Float64Array.of(10, 100))], [1 * 10 + 2 * 100, 3 * 10 + 4 * 100]);
  });

  it('takes the weight-rounding shift out of Conv biases and ORT still fuses every Conv', async () => {
    const model = depthwiseModel();
    const calibration = samples(6, 100);
    const unseen = samples(6, 900);
    const plain = await quantizeModel(model, calibration, { mode: 'static', weightBits: 7 });
    const corrected = await quantizeModel(model, calibration, { mode: 'static', weightBits: 7, biasCorrection: true });
    assert.equal(corrected.record.correctedBiases, 2, 'both Convs, the one without a bias too');
    assert.equal(plain.record.correctedBiases, undefined);
    assert.equal(corrected.record.runtimeIntegerOps.QLinearConv, 2, JSON.stringify(corrected.record.runtimeIntegerOps));
    assert.deepEqual(corrected.record.runtimeFloatOps, {});
    const before = await meanShift(model, plain.model, unseen);
    const after = await meanShift(model, corrected.model, unseen);
    assert.ok(after < before / 2, `systematic error ${after} with correction, ${before} without`);
  });
});
