import assert from 'node:assert/strict';
import { buildModel, makeNode, makeTensor, makeValueInfo } from '../../../lib/onnx';
import { quantizeModel } from '../../../lib/quantize';
import { AgreementMeter, outputKind, selectOutputs } from '../../../lib/quantize/agreement';
import { compareOutputs } from '../../../lib/quantize/evaluate';
import { fragileModel, fragileSamples, noise } from '../../helpers/quant-models';

/** x[1,8,8,8] → Conv (8→4) "probability" at input resolution; a stride-2 Conv "7" (a feature map) from the same x. */
function twoOutputModel(): Uint8Array {
  return buildModel({
    nodes: [
      makeNode('Conv', ['x', 'wa', 'ba'], ['probability'], { kernel_shape: [1, 1] }, 'scores'),
      makeNode('Conv', ['x', 'wb', 'bb'], ['7'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, 'features'),
    ],
    inputs: [makeValueInfo('x', 'float32', [1, 8, 8, 8])],
    outputs: [makeValueInfo('probability', 'float32', [1, 4, 8, 8]), makeValueInfo('7', 'float32', [1, 16, 4, 4])],
    initializers: [
      makeTensor('wa', 'float32', [4, 8, 1, 1], noise(32, 50)), makeTensor('ba', 'float32', [4], [0, 0, 0, 0]),
      makeTensor('wb', 'float32', [16, 8, 3, 3], noise(16 * 72, 51).map((v) => v * 0.3)), makeTensor('bb', 'float32', [16], noise(16, 52)),
    ],
    opset: 17,
  });
}

describe('agreement judged on the outputs that matter', function () {
  this.timeout(20000);

  it('judges the first output in the model\'s order, even when another name looks like an integer', async () => {
    const model = twoOutputModel();
    const samples = fragileSamples(2);
    const first = await compareOutputs(model, model, samples);
    assert.deepEqual(first.map((a) => a.name), ['probability']);
    assert.equal(first[0]!.kind, 'classMap');
    const all = await compareOutputs(model, model, samples, { outputs: 'all' });
    assert.deepEqual(all.map((a) => [a.name, a.kind, a.metric]), [['probability', 'classMap', 'mIoU'], ['7', 'featureMap', 'cosine']]);
    const chosen = await compareOutputs(model, model, samples, { outputs: ['7'] });
    assert.deepEqual(chosen.map((a) => a.name), ['7']);
    await assert.rejects(compareOutputs(model, model, samples, { outputs: ['logits'] }), /the model has no output "logits"; its outputs are "probability", "7": choose among them \(--output\)/);
  });

  it('tells class-score maps from feature maps by the labels, else by the input resolution', () => {
    assert.equal(outputKind([1, 4, 64, 64], { inputSize: [64, 64] }), 'classMap');
    assert.equal(outputKind([1, 256, 16, 16], { inputSize: [64, 64] }), 'featureMap');
    assert.equal(outputKind([1, 4, 16, 16], { classes: 4, inputSize: [64, 64] }), 'classMap');
    assert.equal(outputKind([1, 96, 64, 64], { classes: 4, inputSize: [64, 64] }), 'featureMap');
    assert.equal(outputKind([1, 1, 64, 64]), 'binaryMap');
    assert.equal(outputKind([1, 1000]), 'values');
    assert.deepEqual(selectOutputs(['b', '10', 'a'], undefined), ['b']);
    assert.deepEqual(selectOutputs(['b', '10', 'a'], ['a', '10']), ['10', 'a']);
  });

  it('compares 1-channel probability maps at the threshold the flow uses', () => {
    const reference = Float32Array.of(0.2, 0.4, 0.6, 0.8);
    const candidate = Float32Array.of(0.35, 0.45, 0.55, 0.85);
    const at = (threshold: number) => {
      const meter = new AgreementMeter(threshold);
      meter.add('map', reference, candidate, [1, 1, 2, 2]);
      return meter.results()[0]!;
    };
    assert.equal(at(0.5).iou, 1);
    assert.equal(at(0.3).iou, 0.75);
    assert.equal(at(0.3).score, 0.75);
    assert.equal(at(0.3).metric, 'IoU');
  });
});

describe('accuracy-driven quantization', function () {
  this.timeout(30000);

  it('folds a Relu into a quantizer only when quantized nodes read it (ORT drops pairs that feed float nodes)', async () => {
    // conv2 in float reads conv1's Relu output; were the Relu folded into the quantizer, ORT would drop the pair
    // feeding a float node and conv2 would see the negative values (cosine 0.63 before this was fixed).
    const { model } = await quantizeModel(fragileModel(), fragileSamples(6), { mode: 'static', exclude: ['conv2'], weightBits: 7 });
    const [agreement] = await compareOutputs(fragileModel(), model, fragileSamples(4, 900));
    assert.ok(agreement!.cosine > 0.97, `cosine ${agreement!.cosine}`);
  });

  it('finds the deliberately fragile layer, keeps it (and only it) in float and reports the trade-off', async () => {
    const progress: string[] = [];
    const { model, record } = await quantizeModel(fragileModel(), fragileSamples(8), {
      mode: 'static', weightBits: 7, targetAgreement: 0.97, onProgress: (stage) => progress.push(stage),
    });
    const tuning = record.accuracyTuning!;
    assert.equal(tuning.heldOut, 2);
    assert.equal(record.calibrationSamples, 6);
    assert.equal(tuning.metric, 'cosine'); // y [1,6,4,4] is a feature map
    assert.equal(tuning.measured, 3);
    assert.deepEqual(tuning.sensitivity.map((s) => s.node).slice(0, 1), ['conv2']);
    assert.ok(tuning.sensitivity[0]!.gain > 0.2, `gain ${tuning.sensitivity[0]!.gain}`);
    assert.deepEqual(tuning.floatNodes, ['conv2']);
    assert.equal(tuning.met, true);
    assert.equal(tuning.steps.length, 2);
    assert.ok(tuning.steps[0]!.agreement < 0.8, `fully quantized: ${tuning.steps[0]!.agreement}`);
    assert.ok(tuning.steps[1]!.agreement >= 0.97);
    for (const step of tuning.steps) assert.ok(step.speedup > 0);
    assert.deepEqual(record.exclude, ['conv2']);
    assert.deepEqual(record.quantizedOps, { Conv: 2 });
    assert.ok(progress.includes('sensitivity') && progress.includes('tune'));
    const [fresh] = await compareOutputs(fragileModel(), model, fragileSamples(4, 900));
    assert.ok(fresh!.cosine > 0.97, `cosine on unseen inputs ${fresh!.cosine}`);
  });

  it('stops at once when the fully quantized model already meets the target', async () => {
    const { record } = await quantizeModel(fragileModel(), fragileSamples(4), { mode: 'static', weightBits: 7, targetAgreement: 0.1 });
    assert.equal(record.accuracyTuning!.steps.length, 1);
    assert.equal(record.accuracyTuning!.measured, 0);
    assert.deepEqual(record.accuracyTuning!.floatNodes, []);
  });
});
