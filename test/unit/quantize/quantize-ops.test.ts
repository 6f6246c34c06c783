import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildModel, makeNode, makeTensor, makeValueInfo } from '../../../lib/onnx';
import { quantizeModel } from '../../../lib/quantize';
import { noise } from '../../helpers/quant-models';

// A classifier with the operators a CNN export typically has around its convolutions.
function classifierModel(): Uint8Array {
  return buildModel({
    nodes: [
      makeNode('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1'),
      makeNode('Clip', ['c1', 'zero', 'six'], ['r1'], {}, 'relu6'),
      makeNode('Split', ['r1', 'halves'], ['s1', 's2'], { axis: 1 }, 'split'),
      makeNode('Concat', ['s2', 's1'], ['cat'], { axis: 1 }, 'swap'),
      makeNode('AveragePool', ['cat'], ['pool'], { kernel_shape: [2, 2], strides: [2, 2] }, 'avgpool'),
      makeNode('Resize', ['pool', '', 'scales'], ['up'], { mode: 'nearest' }, 'upsample'),
      makeNode('Add', ['up', 'cat'], ['sum'], {}, 'residual'),
      makeNode('GlobalAveragePool', ['sum'], ['gap'], {}, 'gap'),
      makeNode('Flatten', ['gap'], ['flat'], {}, 'flatten'),
      makeNode('Gemm', ['flat', 'fc', 'fcb'], ['logits'], { transB: 1 }, 'fc'),
      makeNode('Softmax', ['logits'], ['p'], { axis: -1 }, 'softmax'),
    ],
    inputs: [makeValueInfo('x', 'float32', [1, 8, 8, 8])],
    outputs: [makeValueInfo('p', 'float32', [1, 5])],
    initializers: [
      makeTensor('w1', 'float32', [8, 8, 3, 3], noise(8 * 72, 21).map((v) => v * 0.3)),
      makeTensor('b1', 'float32', [8], noise(8, 22).map((v) => v * 0.2)),
      makeTensor('zero', 'float32', [], [0]),
      makeTensor('six', 'float32', [], [6]),
      makeTensor('halves', 'int64', [2], [4, 4]),
      makeTensor('scales', 'float32', [4], [1, 1, 2, 2]),
      makeTensor('fc', 'float32', [5, 8], noise(40, 23)),
      makeTensor('fcb', 'float32', [5], [0.1, 0, -0.1, 0.2, 0]),
    ],
    opset: 13,
  });
}

describe('static quantization of a classifier with pooling, Split, Concat, Resize, Gemm and Softmax', function () {
  this.timeout(20000);
  const samples = Array.from({ length: 6 }, (_, i) => ({ x: { data: noise(512, 40 + i).map((v) => v * 2), dims: [1, 8, 8, 8] } }));

  it('quantizes every operator ORT has an integer kernel for, and stays close to the float model', async () => {
    const float = classifierModel();
    const { model, record } = await quantizeModel(float, samples, { mode: 'static' });
    assert.deepEqual(record.quantizedOps, {
      Conv: 1, Split: 1, Concat: 1, AveragePool: 1, Resize: 1, Add: 1, GlobalAveragePool: 1, Flatten: 1, Gemm: 1, Softmax: 1,
    });
    assert.equal(record.foldedActivations, 1);
    // Split, Resize and Flatten run on int8 without a kernel of their own (their Q/DQ pairs are dropped)
    assert.deepEqual(record.runtimeIntegerOps, {
      QLinearConv: 1, QLinearConcat: 1, QLinearAveragePool: 1, QLinearAdd: 1, QLinearGlobalAveragePool: 1, QGemm: 1, QLinearSoftmax: 1,
    });
    assert.deepEqual(record.runtimeFloatOps, {});
    const a = await ort.InferenceSession.create(float);
    const b = await ort.InferenceSession.create(model);
    for (const sample of samples.slice(0, 3)) {
      const x = new ort.Tensor('float32', sample.x.data, sample.x.dims);
      const pa = (await a.run({ x })).p!.data as Float32Array;
      const pb = (await b.run({ x })).p!.data as Float32Array;
      for (let i = 0; i < pa.length; i++) assert.ok(Math.abs(pa[i]! - pb[i]!) < 0.03, `probability ${i}: ${pa[i]} vs ${pb[i]}`);
    }
  });
});
