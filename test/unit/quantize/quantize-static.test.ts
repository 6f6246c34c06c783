import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { decodeModel, makeNode, makeTensor, readModelInfo, onnx, toNumber } from '../../../lib/onnx';
import { optimizeWithRuntime, quantizeModel, readQuantizationRecord, type CalibrationSample } from '../../../lib/quantize';
import { GraphIndex, dimsOf, floatValues, integerValues } from '../../../lib/quantize/graph';
import { biasScale } from '../../../lib/quantize/math';
import { convModel, convModelSpec, convSamples } from '../../helpers/quant-models';

async function run(bytes: Uint8Array, sample: CalibrationSample): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds = Object.fromEntries(Object.entries(sample).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
  const out = await session.run(feeds);
  await session.release();
  return out[session.outputNames[0]!]!.data as Float32Array;
}

function scalar(index: GraphIndex, name: string): number {
  const t = index.initializers.get(name)!;
  const T = onnx.TensorProto.DataType;
  if (t.dataType === T.FLOAT) return floatValues(t)[0]!;
  if (t.dataType === T.UINT8) return new Uint8Array(t.rawData!)[0]!;
  if (t.dataType === T.INT8) return new Int8Array(new Uint8Array(t.rawData!))[0]!;
  return integerValues(t)[0]!;
}

function nodeByName(model: onnx.ModelProto, name: string): onnx.INodeProto {
  return model.graph!.node!.find((n) => n.name === name)!;
}

describe('static QDQ quantization', function () {
  this.timeout(30000);
  const samples = convSamples(6);
  let quantized: Uint8Array;
  let model: onnx.ModelProto;
  let index: GraphIndex;

  before(async () => {
    quantized = (await quantizeModel(convModel(), samples, { mode: 'static' })).model;
    model = decodeModel(quantized);
    index = new GraphIndex(model.graph!);
  });

  it('wraps each Conv in DequantizeLinear inputs and a QuantizeLinear output, with the Relu folded away', () => {
    const ops = model.graph!.node!.map((n) => n.opType);
    assert.equal(ops.filter((o) => o === 'Relu').length, 0);
    for (const name of ['conv1', 'head']) {
      const conv = nodeByName(model, name);
      assert.deepEqual(conv.input!.map((i) => index.producers.get(i)?.opType), ['DequantizeLinear', 'DequantizeLinear', 'DequantizeLinear'], name);
      assert.deepEqual(index.consumersOf(conv.output![0]!).map((n) => n.opType), ['QuantizeLinear'], name);
    }
    // conv1 took over the Relu's output tensor; its quantizer starts at 0 (zero point = uint8 minimum)
    const conv1 = nodeByName(model, 'conv1');
    const q = index.consumersOf(conv1.output![0]!)[0]!;
    assert.equal(q.output![0], 'r1/q');
    assert.equal(scalar(index, q.input![2]!), 0);
  });

  it('stores per-channel int8 weights and an int32 bias whose scale is input scale × weight scale in float32', () => {
    for (const name of ['conv1', 'head']) {
      const conv = nodeByName(model, name);
      const weightDq = index.producers.get(conv.input![1]!)!;
      const weight = index.initializers.get(weightDq.input![0]!)!;
      assert.equal(weight.dataType, onnx.TensorProto.DataType.INT8);
      const weightScales = floatValues(index.initializers.get(weightDq.input![1]!)!);
      assert.equal(weightScales.length, dimsOf(weight)[0]);
      assert.equal(toNumber(weightDq.attribute!.find((a) => a.name === 'axis')?.i), 0);
      const inputDq = index.producers.get(conv.input![0]!)!;
      const inputScale = scalar(index, inputDq.input![1]!);
      const biasDq = index.producers.get(conv.input![2]!)!;
      assert.equal(index.initializers.get(biasDq.input![0]!)!.dataType, onnx.TensorProto.DataType.INT32);
      const biasScales = floatValues(index.initializers.get(biasDq.input![1]!)!);
      assert.deepEqual(Array.from(biasScales), Array.from(weightScales, (w) => biasScale(inputScale, w)));
    }
  });

  it('gives MaxPool the scale of its input so ORT can run it on int8', () => {
    const pool = nodeByName(model, 'pool');
    const inDq = index.producers.get(pool.input![0]!)!;
    const outQ = index.consumersOf(pool.output![0]!)[0]!;
    assert.equal(outQ.opType, 'QuantizeLinear');
    assert.equal(scalar(index, outQ.input![1]!), scalar(index, inDq.input![1]!));
    assert.equal(scalar(index, outQ.input![2]!), scalar(index, inDq.input![2]!));
  });

  it('keeps the metadata and records how the model was quantized', () => {
    const info = readModelInfo(quantized);
    assert.equal(info.metadata.labels, '["a","b","c","d"]');
    const record = readQuantizationRecord(quantized)!;
    assert.equal(record.mode, 'static');
    assert.equal(record.format, 'QDQ');
    assert.equal(record.method, 'percentile');
    assert.equal(record.percentile, 99.999);
    assert.equal(record.perChannel, true);
    assert.equal(record.activationType, 'uint8');
    assert.equal(record.calibrationSamples, 6);
    assert.deepEqual(record.quantizedOps, { Conv: 2, MaxPool: 1 });
    assert.equal(record.foldedActivations, 1);
    assert.deepEqual(record.runtimeIntegerOps, { QLinearConv: 2 });
    assert.deepEqual(record.runtimeFloatOps, {});
    assert.equal(typeof record.reduceRange, 'boolean');
    assert.match(record.tool, /^@edge-mlops\/node-red-vision \d/);
    assert.ok(!Number.isNaN(Date.parse(record.date)));
  });

  it('agrees with the float model within 3 % of the output range', async () => {
    for (const sample of convSamples(3, 50)) {
      const expected = await run(convModel(), sample);
      const actual = await run(quantized, sample);
      const range = Math.max(...expected) - Math.min(...expected);
      let maxDiff = 0;
      for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(expected[i]! - actual[i]!));
      assert.ok(maxDiff < 0.03 * range, `max diff ${maxDiff} for range ${range}`);
    }
  });

  it('becomes QLinearConv when ONNX Runtime optimises it at the extended level', async () => {
    const fused = decodeModel(await optimizeWithRuntime(quantized, 'extended'));
    const ops = fused.graph!.node!.map((n) => n.opType);
    assert.equal(ops.filter((o) => o === 'QLinearConv').length, 2);
    assert.equal(ops.filter((o) => o === 'Conv').length, 0);
  });

  it('keeps excluded nodes (by name or operator type) in float', async () => {
    const byName = decodeModel((await quantizeModel(convModel(), samples, { mode: 'static', exclude: ['head'] })).model);
    const head = nodeByName(byName, 'head');
    const headIndex = new GraphIndex(byName.graph!);
    assert.equal(headIndex.initializers.get(head.input![1]!)?.dataType, onnx.TensorProto.DataType.FLOAT);
    assert.equal(headIndex.producers.get(nodeByName(byName, 'conv1').input![1]!)?.opType, 'DequantizeLinear');
    const byType = decodeModel((await quantizeModel(convModel(), samples, { mode: 'static', exclude: ['MaxPool'] })).model);
    assert.equal(new GraphIndex(byType.graph!).consumersOf(nodeByName(byType, 'pool').output![0]!).length, 0);
    assert.deepEqual(readQuantizationRecord(encode(byType))!.quantizedOps, { Conv: 2 });
  });

  it('uses 7-bit weights with reduceRange (x86 without VNNI) and full int8 without', async () => {
    for (const reduceRange of [true, false]) {
      const q = decodeModel((await quantizeModel(convModel(), samples, { mode: 'static', reduceRange })).model);
      const i = new GraphIndex(q.graph!);
      const dq = i.producers.get(nodeByName(q, 'conv1').input![1]!)!;
      const weights = new Int8Array(new Uint8Array(i.initializers.get(dq.input![0]!)!.rawData!));
      const largest = Math.max(...Array.from(weights, Math.abs));
      assert.equal(largest, reduceRange ? 63 : 127);
    }
  });

  it('stores one weight scale per tensor with perChannel off', async () => {
    const perTensor = decodeModel((await quantizeModel(convModel(), samples, { mode: 'static', perChannel: false })).model);
    const i = new GraphIndex(perTensor.graph!);
    const dq = i.producers.get(nodeByName(perTensor, 'conv1').input![1]!)!;
    assert.deepEqual(dimsOf(i.initializers.get(dq.input![1]!)!), []);
  });

  it('calibrates with percentile and entropy, and uses int8 activations on request', async () => {
    for (const method of ['percentile', 'entropy'] as const) {
      const result = await quantizeModel(convModel(), samples, { mode: 'static', method, activationType: 'int8' });
      const q = decodeModel(result.model);
      const zeroPoint = q.graph!.initializer!.find((t) => t.name === 'r1/z')!;
      assert.equal(zeroPoint.dataType, onnx.TensorProto.DataType.INT8, method);
      const expected = await run(convModel(), samples[0]!);
      const actual = await run(result.model, samples[0]!);
      let dot = 0, na = 0, nb = 0;
      for (let k = 0; k < expected.length; k++) { dot += expected[k]! * actual[k]!; na += expected[k]! ** 2; nb += actual[k]! ** 2; }
      assert.ok(dot / Math.sqrt(na * nb) > 0.99, `${method} cosine ${dot / Math.sqrt(na * nb)}`);
    }
  });

  it('folds Mul/Add by positive constants after a quantized op into the dequantizer', async () => {
    const spec = convModelSpec();
    spec.nodes = [
      makeNode('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1'),
      makeNode('Mul', ['c1', 'c1'], ['sq'], {}, 'square'),
      makeNode('Mul', ['sq', 'half'], ['scaled'], {}, 'scale'),
      makeNode('Add', ['scaled', 'shift'], ['r1'], {}, 'shift'),
      ...spec.nodes.slice(2),
    ];
    spec.initializers!.push(makeTensor('half', 'float32', [], [0.5]), makeTensor('shift', 'float32', [1], [-0.25]));
    const { model: bytes, record } = await quantizeModel(convModel(spec), samples, { mode: 'static' });
    assert.equal(record.quantizedOps.Mul, 1);
    const q = decodeModel(bytes);
    assert.deepEqual(q.graph!.node!.filter((n) => n.opType === 'Mul' || n.opType === 'Add').map((n) => n.name), ['square']);
    const expected = await run(convModel(spec), samples[0]!);
    const actual = await run(bytes, samples[0]!);
    const range = Math.max(...expected) - Math.min(...expected);
    for (let k = 0; k < expected.length; k++) assert.ok(Math.abs(expected[k]! - actual[k]!) < 0.05 * range);
  });
});

function encode(model: onnx.ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
