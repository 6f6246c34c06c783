import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildModel, decodeModel, encodeModel, floatToHalf, halfToFloat, makeNode, makeTensor, makeValueInfo, onnx, roundToHalf } from '../../../lib/onnx';
import { quantizeModel, readQuantizationRecord, type CalibrationSample } from '../../../lib/quantize';
import { compareOutputs, feeds, floatData } from '../../../lib/quantize/evaluate';
import { convertFloat16ToFloat32, usesFloat16 } from '../../../lib/quantize/float16';
import { noise } from '../../helpers/quant-models';

const T = onnx.TensorProto.DataType;
const DIMS = [1, 8, 8, 8];

/** The same network in float32 (weights rounded to float16) and as a float16 model, with or without keep_io_types. */
function network(precision: 'float32' | 'float16', keepIoTypes: boolean): Uint8Array {
  const half = precision === 'float16';
  const type = half ? 'float16' : 'float32';
  const w1 = roundToHalf(noise(6 * 8 * 9, 1).map((v) => v * 0.3));
  const w2 = roundToHalf(noise(4 * 6, 2).map((v) => v * 0.5));
  const io = half && !keepIoTypes ? 'float16' : 'float32';
  const nodes = [
    makeNode('Conv', ['xh', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1'),
    makeNode('Relu', ['c1'], ['r1'], {}, 'relu1'),
    makeNode('Constant', [], ['k'], { value: makeTensor('k_value', type, [], [0.5]) }, 'half'),
    makeNode('Mul', ['r1', 'k'], ['m1'], {}, 'scale'),
    makeNode('Conv', ['m1', 'w2', 'b2'], ['c2'], { kernel_shape: [1, 1] }, 'head'),
    makeNode('Sigmoid', ['c2'], ['yh'], {}, 'sigmoid'),
  ];
  if (half && keepIoTypes) {
    nodes.unshift(makeNode('Cast', ['x'], ['xh'], { to: T.FLOAT16 }, 'in_cast'));
    nodes.push(makeNode('Cast', ['yh'], ['y'], { to: T.FLOAT }, 'out_cast'));
  } else {
    nodes.unshift(makeNode('Identity', ['x'], ['xh'], {}, 'in'));
    nodes.push(makeNode('Identity', ['yh'], ['y'], {}, 'out'));
  }
  return buildModel({
    nodes,
    inputs: [makeValueInfo('x', io, DIMS)],
    outputs: [makeValueInfo('y', io, [1, 4, 8, 8])],
    valueInfo: half ? ['xh', 'c1', 'r1', 'm1', 'c2', 'yh'].map((n) => makeValueInfo(n, 'float16', n === 'c2' || n === 'yh' ? [1, 4, 8, 8] : [1, n === 'xh' ? 8 : 6, 8, 8])) : [],
    initializers: [
      makeTensor('w1', type, [6, 8, 3, 3], w1),
      makeTensor('b1', type, [6], roundToHalf([0.1, -0.2, 0.05, 0, 0.3, -0.1])),
      makeTensor('w2', type, [4, 6, 1, 1], w2),
      makeTensor('b2', type, [4], roundToHalf([0.01, 0.02, -0.03, 0.04])),
    ],
    metadata: { version: '1.2.0' },
    opset: 17,
  });
}

function samples(count: number, seed = 40): CalibrationSample[] {
  return Array.from({ length: count }, (_, i) => ({ x: { data: noise(8 * 8 * 8, seed + i), dims: DIMS } }));
}

async function outputs(bytes: Uint8Array, list: CalibrationSample[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result: Float32Array[] = [];
    for (const s of list) result.push(floatData((await session.run(feeds(ort, s, session))).y!)!);
    return result;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let max = 0;
  a.forEach((x, i) => x.forEach((v, j) => { max = Math.max(max, Math.abs(v - b[i]![j]!)); }));
  return max;
}

describe('float16 models', function () {
  this.timeout(20000);
  const evaluation = samples(3, 90);

  it('round-trips half precision bits like numpy (nearest even, subnormals, overflow)', () => {
    assert.equal(floatToHalf(1), 0x3c00);
    assert.equal(floatToHalf(-2), 0xc000);
    assert.equal(floatToHalf(65504), 0x7bff);
    assert.equal(floatToHalf(70000), 0x7c00);
    assert.equal(floatToHalf(2 ** -24), 0x0001);
    assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00); // tie → even
    assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
    assert.equal(halfToFloat(0x3555), 0.333251953125);
    for (const v of [0.1, -3.75, 1e-3, 1234.5]) assert.ok(Math.abs(halfToFloat(floatToHalf(v)) - v) <= Math.abs(v) * 2 ** -11);
  });

  for (const keepIoTypes of [true, false]) {
    it(`converts a float16 model${keepIoTypes ? ' with keep_io_types' : ''} to float32 exactly`, async () => {
      const half = decodeModel(network('float16', keepIoTypes));
      assert.equal(usesFloat16(half), true);
      const conversion = convertFloat16ToFloat32(half);
      assert.equal(usesFloat16(half), false);
      assert.deepEqual({ ...conversion }, {
        initializers: 4, casts: keepIoTypes ? 1 : 0, constants: 1,
        valueInfo: keepIoTypes ? 6 : 8, ioChanged: !keepIoTypes,
      });
      const converted = await outputs(encodeModel(half), evaluation);
      const twin = await outputs(network('float32', false), evaluation);
      // Same weights, same float32 arithmetic: only operation order may differ.
      assert.ok(maxAbsDiff(converted, twin) < 1e-6, `max abs diff ${maxAbsDiff(converted, twin)}`);
      // Against the float16 model as ORT runs it: at most float16 rounding of the activations.
      const original = await outputs(network('float16', keepIoTypes), evaluation);
      const diff = maxAbsDiff(converted, original);
      assert.ok(diff < 5e-3, `max abs diff to the float16 run ${diff}`);
    });
  }

  it('quantizes a float16 model: Convs quantized, the source recorded, compared against the float16 original', async () => {
    const source = network('float16', true);
    const { model, record } = await quantizeModel(source, samples(6), { mode: 'static', weightBits: 8 });
    assert.equal(record.quantizedOps.Conv, 2);
    assert.equal(record.runtimeIntegerOps.QLinearConv, 2);
    assert.equal(record.source.precision, 'float16');
    assert.equal(record.source.float16?.initializers, 4);
    assert.equal(usesFloat16(decodeModel(model)), false);
    assert.deepEqual(readQuantizationRecord(model)?.source, record.source);
    const [agreement] = await compareOutputs(source, model, evaluation);
    assert.ok(agreement!.cosine > 0.999, `cosine ${agreement!.cosine}`);
  });

  it('quantizes a float16 model with float16 inputs: the int8 model takes float32, comparisons feed each its type', async () => {
    const source = network('float16', false);
    const { model } = await quantizeModel(source, samples(6), { mode: 'static' });
    const input = decodeModel(model).graph!.input![0]!;
    assert.equal(input.type!.tensorType!.elemType, T.FLOAT);
    const [agreement] = await compareOutputs(source, model, evaluation);
    assert.ok(agreement!.cosine > 0.999, `cosine ${agreement!.cosine}`);
  });

  it('refuses bfloat16 models with what to do', async () => {
    const spec = decodeModel(network('float32', false));
    spec.graph!.node!.push(makeNode('Cast', ['y'], ['yb'], { to: T.BFLOAT16 }, 'to_bf16'));
    await assert.rejects(quantizeModel(encodeModel(spec), samples(2), { mode: 'static' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'bfloat16-model');
      assert.match(err.message, /bfloat16 tensors, .* export the model in float32/);
      return true;
    });
  });
});
