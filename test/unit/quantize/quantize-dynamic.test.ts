import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildModel, decodeModel, makeNode, makeTensor, makeValueInfo } from '../../../lib/onnx';
import { quantizeModel, readQuantizationRecord } from '../../../lib/quantize';
import { convTransposeToDepthToSpace, foldConvAffine } from '../../../lib/quantize/fusions';
import { compareOutputs } from '../../../lib/quantize/evaluate';
import { convModel, convSamples, mlpModel, mlpSamples, noise } from '../../helpers/quant-models';

async function outputOf(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)])));
  await session.release();
  return out[session.outputNames[0]!]!.data as Float32Array;
}

describe('dynamic quantization', function () {
  this.timeout(20000);

  it('turns Conv into DynamicQuantizeLinear + ConvInteger when asked (the paper\'s dynamic int8 for CNNs)', async () => {
    const { model, record } = await quantizeModel(convModel(), [], { mode: 'dynamic', dynamicConvolutions: true, weightBits: 8 });
    const ops = decodeModel(model).graph!.node!.map((n) => n.opType);
    assert.equal(ops.filter((o) => o === 'ConvInteger').length, 2);
    assert.equal(ops.filter((o) => o === 'Conv').length, 0);
    assert.deepEqual(record.quantizedOps, { Conv: 2 });
    assert.equal(record.format, 'DynamicQuantizeMatMul+ConvInteger');
    const [agreement] = await compareOutputs(convModel(), model, convSamples(3, 70), { outputs: 'all' });
    assert.ok(agreement!.cosine > 0.999, `cosine ${agreement!.cosine}`);
    await assert.rejects(quantizeModel(convModel(), [], { mode: 'dynamic' }), /found no MatMul or Gemm/);
  });

  it('turns MatMul and Gemm with constant weights into DynamicQuantizeMatMul with int8 weights', async () => {
    const { model, record } = await quantizeModel(mlpModel(), [], { mode: 'dynamic' });
    const q = decodeModel(model);
    const ops = q.graph!.node!.map((n) => `${n.domain ? `${n.domain}.` : ''}${n.opType}`);
    assert.deepEqual(ops.filter((o) => o.includes('DynamicQuantizeMatMul')).length, 2);
    assert.ok(!ops.includes('Gemm') && !ops.includes('MatMul'));
    // ORT's basic optimisation has already fused MatMul + Add into a Gemm
    assert.deepEqual(record.quantizedOps, { Gemm: 2 });
    assert.equal(readQuantizationRecord(model)!.mode, 'dynamic');
    const floatBytes = q.graph!.initializer!.filter((t) => t.dataType === 1).reduce((n, t) => n + (t.rawData?.length ?? 0), 0);
    assert.ok(floatBytes < 32 * 16 * 4 / 4, `float initializers ${floatBytes} bytes`);
  });

  it('agrees with the float MLP within 5 % of the output range', async () => {
    const { model } = await quantizeModel(mlpModel(), [], { mode: 'dynamic' });
    for (const sample of mlpSamples(5)) {
      const expected = await outputOf(mlpModel(), sample);
      const actual = await outputOf(model, sample);
      const range = Math.max(...expected.map(Math.abs));
      for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(expected[i]! - actual[i]!) < 0.05 * range, `${expected[i]} vs ${actual[i]}`);
    }
  });
});

describe('exact float rewrites before quantization', () => {
  it('folds Mul/Add/BatchNorm into Conv and ConvTranspose and rewrites a 2×2 ConvTranspose as Conv + DepthToSpace', async () => {
    const bytes = buildModel({
      nodes: [
        makeNode('Conv', ['x', 'w', 'b'], ['c'], { kernel_shape: [1, 1] }, 'conv'),
        makeNode('Mul', ['scale', 'c'], ['m'], {}, 'mul'),
        makeNode('Add', ['m', 'shift'], ['a'], {}, 'add'),
        makeNode('ConvTranspose', ['a', 'wt'], ['t'], { kernel_shape: [2, 2], strides: [2, 2] }, 'deconv'),
        makeNode('Add', ['t', 'tb'], ['tb_out'], {}, 'deconv_bias'),
        makeNode('BatchNormalization', ['tb_out', 'g', 'be', 'mu', 'var'], ['bn'], { epsilon: { float: 1e-5 } }, 'bn'),
        makeNode('Relu', ['bn'], ['y'], {}, 'relu'),
      ],
      inputs: [makeValueInfo('x', 'float32', [1, 3, 4, 5])],
      outputs: [makeValueInfo('y', 'float32', [1, 2, 8, 10])],
      initializers: [
        makeTensor('w', 'float32', [4, 3, 1, 1], noise(12, 1)),
        makeTensor('b', 'float32', [4], noise(4, 2)),
        makeTensor('scale', 'float32', [1, 4, 1, 1], [0.5, 2, -1, 1.5]),
        makeTensor('shift', 'float32', [], [0.25]),
        makeTensor('wt', 'float32', [4, 2, 2, 2], noise(32, 3)),
        makeTensor('tb', 'float32', [1, 2, 1, 1], [0.1, -0.2]),
        makeTensor('g', 'float32', [2], [1.5, 0.5]),
        makeTensor('be', 'float32', [2], [0.1, 0.2]),
        makeTensor('mu', 'float32', [2], [0.05, -0.05]),
        makeTensor('var', 'float32', [2], [0.8, 1.2]),
      ],
      opset: 13,
    });
    const model = decodeModel(bytes);
    assert.equal(foldConvAffine(model), 4);
    assert.equal(convTransposeToDepthToSpace(model), 1);
    assert.deepEqual(model.graph!.node!.map((n) => n.opType), ['Conv', 'Conv', 'Relu', 'DepthToSpace']);
    const rewritten = (await import('../../../lib/onnx')).encodeModel(model);
    const feed = { x: { data: noise(60, 9), dims: [1, 3, 4, 5] } };
    const expected = await outputOf(bytes, feed);
    const actual = await outputOf(rewritten, feed);
    assert.equal(actual.length, expected.length);
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(expected[i]! - actual[i]!) < 1e-5, `${i}: ${expected[i]} vs ${actual[i]}`);
  });
});
