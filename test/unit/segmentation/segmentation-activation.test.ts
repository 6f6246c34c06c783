import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classify, classifySettings, resolveClassifier } from '../../../lib/classify';
import { PipelineError } from '../../../lib/errors';
import { loadModelInfoOffThread } from '../../../lib/inference';
import { readSingleChannel, scoresLookLikeProbabilities } from '../../../lib/segmentation';
import { outputNamesInModelOrder } from '../../../lib/contract';
import { buildModel, makeNode, makeValueInfo, readModelInfo, readModelInfoInWorker, OnnxFormatError } from '../../../lib/onnx';

const logits = new Float32Array([-4.2, -3.1, 0.4, 5.5]);
const probabilities = new Float32Array([0.01, 0.02, 0.6, 0.99]);

describe('segmentation: reading a 1-channel output', () => {
  it('decides from the value range when nothing else tells', () => {
    assert.deepEqual(readSingleChannel('auto', { outputName: 'output', scores: probabilities }), { mode: 'probability', basis: 'range' });
    assert.deepEqual(readSingleChannel('auto', { outputName: 'output', scores: logits }), { mode: 'sigmoid', basis: 'range' });
    assert.equal(scoresLookLikeProbabilities(new Float32Array([0, 1])), true);
    assert.equal(scoresLookLikeProbabilities(new Float32Array([0, 1.0001])), false);
    assert.equal(scoresLookLikeProbabilities(new Float32Array([])), false);
  });

  it('prefers the model metadata, then the output name, over the values', () => {
    assert.deepEqual(readSingleChannel('auto', { outputName: 'prob', metadata: { single_channel: 'logits' }, scores: probabilities }),
      { mode: 'sigmoid', basis: 'metadata' });
    assert.deepEqual(readSingleChannel('auto', { outputName: 'mask_prob', scores: logits }), { mode: 'probability', basis: 'name' });
    assert.deepEqual(readSingleChannel('auto', { outputName: 'sigmoid_out', scores: logits }), { mode: 'probability', basis: 'name' });
    assert.deepEqual(readSingleChannel('auto', { outputName: 'seg_logits', scores: probabilities }), { mode: 'sigmoid', basis: 'name' });
    assert.deepEqual(readSingleChannel('auto', { outputName: 'x', metadata: { single_channel: 'nonsense' }, scores: logits }),
      { mode: 'sigmoid', basis: 'range' });
  });

  it('keeps a fixed setting and flags evidence against it', () => {
    assert.deepEqual(readSingleChannel('sigmoid', { outputName: 'output', scores: logits }), { mode: 'sigmoid', basis: 'setting' });
    assert.deepEqual(readSingleChannel('sigmoid', { outputName: 'output', scores: probabilities }),
      { mode: 'sigmoid', basis: 'setting', conflict: { evidence: 'probability', basis: 'range' } });
    // Values outside 0…1 cannot be probabilities.
    assert.deepEqual(readSingleChannel('probability', { outputName: 'output', scores: logits }),
      { mode: 'probability', basis: 'setting', conflict: { evidence: 'sigmoid', basis: 'range' } });
  });
});

describe('output order', () => {
  it('lists outputs in the model\'s order, not the object\'s (integer-like keys first)', () => {
    const outputs = { output: 1, 1890: 2, 1891: 3, d0: 4 };
    assert.deepEqual(Object.keys(outputs), ['1890', '1891', 'output', 'd0']);
    assert.deepEqual(outputNamesInModelOrder(outputs, ['output', '1890', '1891', 'd0']), ['output', '1890', '1891', 'd0']);
    // Names the model does not list follow; names not on the message are left out.
    assert.deepEqual(outputNamesInModelOrder(outputs, ['gone', 'd0']), ['d0', '1890', '1891', 'output']);
    assert.deepEqual(outputNamesInModelOrder(outputs), ['1890', '1891', 'output', 'd0']);
  });
});

describe('ONNX format errors', () => {
  const bytes = buildModel({
    nodes: [makeNode('Relu', ['x'], ['y'])],
    inputs: [makeValueInfo('x', 'float32', [1, 4])],
    outputs: [makeValueInfo('y', 'float32', [1, 4])],
    metadata: { notes: 'x'.repeat(200) },
  });

  it('says a cut model file ends early, wherever it was cut', () => {
    for (const fraction of [0.2, 0.5, 0.9, 0.99]) {
      const cut = bytes.subarray(0, Math.floor(bytes.length * fraction));
      assert.throws(() => readModelInfo(cut), (err: unknown) => err instanceof OnnxFormatError && err.problem === 'truncated'
        && /^the file ends early \(incomplete copy/.test(err.message), `cut at ${fraction}`);
    }
    assert.equal(readModelInfo(bytes).outputs[0]!.name, 'y');
  });

  it('keeps the reason free of "not an ONNX model" so messages do not double it', () => {
    try {
      readModelInfo(Buffer.from('these are my notes, not a model'));
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof OnnxFormatError);
      assert.equal(err.problem, 'not-onnx');
      assert.doesNotMatch(err.reason, /not an ONNX model/);
      assert.equal(err.message.match(/not an ONNX model/g)?.length, 1);
    }
  });
});

describe('ONNX model description off the main thread', () => {
  const bytes = buildModel({
    nodes: [makeNode('Relu', ['x'], ['y'])],
    inputs: [makeValueInfo('x', 'float32', [1, 4])],
    outputs: [makeValueInfo('y', 'float32', [1, 4])],
    metadata: { name: 'relu', notes: 'x'.repeat(200) },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-parse-'));

  it('reads the same description from a path or transferred bytes as on the main thread', async () => {
    const file = path.join(dir, 'relu.onnx');
    fs.writeFileSync(file, bytes);
    assert.deepEqual(await readModelInfoInWorker({ path: file }), readModelInfo(bytes));
    assert.deepEqual(await readModelInfoInWorker({ bytes: Buffer.from(bytes) }), readModelInfo(bytes));
  });

  it('maps errors as loadModelInfo does: truncated, not ONNX, missing', async () => {
    const cut = path.join(dir, 'cut.onnx');
    fs.writeFileSync(cut, bytes.subarray(0, 40));
    await assert.rejects(loadModelInfoOffThread(cut), (err: unknown) => err instanceof PipelineError && err.code === 'model-truncated');
    const text = path.join(dir, 'notes.onnx');
    fs.writeFileSync(text, 'notes, not a model');
    await assert.rejects(loadModelInfoOffThread(text), (err: unknown) => err instanceof PipelineError && err.code === 'not-onnx');
    await assert.rejects(loadModelInfoOffThread(path.join(dir, 'gone.onnx')), (err: unknown) => err instanceof PipelineError && err.code === 'model-not-found');
    await assert.rejects(loadModelInfoOffThread(dir), (err: unknown) => err instanceof PipelineError && err.code === 'model-not-file');
  });
});

describe('output order in mlops-classify', () => {
  it('reads the model\'s first output, not the integer-named one the object lists first', () => {
    const scores = (values: number[]) => ({ data: Buffer.from(new Float32Array(values).buffer), type: 'float32' as const, dims: [1, values.length] });
    const outputs = { output: scores([0.1, 0.9]), 1890: scores([0.8, 0.2]) };
    const classifier = resolveClassifier(classifySettings({ labels: 'normal, failure', scores: 'probabilities' }));
    assert.equal(classify(outputs, classifier)[0]!.label, 'normal', 'without the model order the object order wins: the trap');
    assert.equal(classify(outputs, classifier, ['output', '1890'])[0]!.label, 'failure');
  });
});
