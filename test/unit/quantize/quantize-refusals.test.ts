import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildModel, decodeModel, encodeModel, makeNode, makeTensor, makeValueInfo, onnx, toNumber } from '../../../lib/onnx';
import { isPipelineError } from '../../../lib/errors';
import { quantizeModel } from '../../../lib/quantize';
import { upgradeToOpset13 } from '../../../lib/quantize/preprocess';
import { convModel, convModelSpec, convSamples } from '../../helpers/quant-models';

async function refusal(bytes: Uint8Array, options: Parameters<typeof quantizeModel>[2], samples = convSamples(2)) {
  try {
    await quantizeModel(bytes, samples, options);
  } catch (err) {
    assert.ok(isPipelineError(err), `expected a PipelineError, got ${String(err)}`);
    return err;
  }
  assert.fail('quantization should have been refused');
}

describe('quantization refusals', function () {
  this.timeout(20000);

  it('refuses an already quantized model', async () => {
    const spec = convModelSpec();
    spec.nodes.unshift(makeNode('QuantizeLinear', ['x0', 's', 'z'], ['xq']), makeNode('DequantizeLinear', ['xq', 's', 'z'], ['x']));
    spec.inputs = [makeValueInfo('x0', 'float32', [1, 8, 8, 8])];
    spec.initializers!.push(makeTensor('s', 'float32', [], [0.1]), makeTensor('z', 'uint8', [], [128]));
    const err = await refusal(buildModel(spec), { mode: 'static' });
    assert.equal(err.code, 'already-quantized');
    assert.match(err.message, /already quantized \(it contains QuantizeLinear, DequantizeLinear\); quantize the original float model/);
  });

  it('refuses opsets before 10', async () => {
    const err = await refusal(convModel({ opset: 9 }), { mode: 'static' });
    assert.equal(err.code, 'opset-too-old');
    assert.match(err.message, /opset 9; quantization needs opset 10 or newer .* re-export/);
  });

  it('refuses per-channel on opset 10 but quantizes it per tensor', async () => {
    const err = await refusal(convModel({ opset: 10 }), { mode: 'static' });
    assert.equal(err.code, 'opset-upgrade');
    assert.match(err.message, /needs opset 13 .* re-export it with opset 13 or newer, or quantize with per-tensor weights/);
    const { model } = await quantizeModel(convModel({ opset: 10 }), convSamples(2), { mode: 'static', perChannel: false });
    await ort.InferenceSession.create(model);
  });

  it('refuses weights in external data files', async () => {
    const model = decodeModel(convModel());
    const weight = model.graph!.initializer![0]!;
    weight.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    weight.externalData = [{ key: 'location', value: 'weights.bin' }];
    weight.rawData = new Uint8Array();
    const err = await refusal(encodeModel(model), { mode: 'static' });
    assert.equal(err.code, 'external-data');
    assert.match(err.message, /external data files, which the quantizer cannot read or write; save the model with its weights embedded/);
  });

  it('refuses static quantization without calibration inputs', async () => {
    const err = await refusal(convModel(), { mode: 'static' }, []);
    assert.equal(err.code, 'no-calibration');
  });

  it('refuses when the exclusion list leaves nothing to quantize', async () => {
    const err = await refusal(convModel(), { mode: 'static', exclude: ['Conv', 'MaxPool'] });
    assert.equal(err.code, 'nothing-to-quantize');
  });

  it('upgrades opset 11 models to 13 (axes attributes become inputs)', async () => {
    const spec = convModelSpec({ opset: 11 });
    spec.nodes.push(makeNode('Unsqueeze', ['y', ], ['y5'], { axes: [0] }, 'unsqueeze'), makeNode('Squeeze', ['y5'], ['z'], { axes: [0] }, 'squeeze'));
    spec.outputs = [makeValueInfo('z', 'float32', [1, 4, 4, 4])];
    const { model } = await quantizeModel(buildModel(spec), convSamples(2), { mode: 'static' });
    const q = decodeModel(model);
    assert.equal(toNumber(q.opsetImport!.find((o) => !o.domain)!.version), 13);
    const unsqueeze = q.graph!.node!.find((n) => n.name === 'unsqueeze')!;
    assert.equal(unsqueeze.input!.length, 2);
    assert.equal(unsqueeze.attribute!.length, 0);
    const session = await ort.InferenceSession.create(model);
    const out = await session.run({ x: new ort.Tensor('float32', convSamples(1)[0]!.x!.data, [1, 8, 8, 8]) });
    assert.deepEqual(out.z!.dims, [1, 4, 4, 4]);
  });

  it('refuses to upgrade a Softmax over a non-last axis of unknown rank', () => {
    const spec = convModelSpec({ opset: 11 });
    spec.nodes.push(makeNode('Softmax', ['y'], ['p'], { axis: 1 }, 'softmax'));
    spec.outputs = [makeValueInfo('p', 'float32', [1, 4, 4, 4])];
    assert.throws(() => upgradeToOpset13(decodeModel(buildModel(spec))), (err: unknown) => {
      assert.ok(isPipelineError(err));
      assert.equal(err.code, 'opset-upgrade');
      assert.match(err.message, /Softmax node "softmax" works on axis 1, whose meaning changed in opset 13/);
      return true;
    });
  });
});
