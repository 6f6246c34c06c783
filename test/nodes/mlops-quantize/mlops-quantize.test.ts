import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readModelInfo } from '../../../lib/onnx';
import { readQuantizationRecord } from '../../../lib/quantize';
import { catchNode, nextMessage, nodeModule, recordStatus, repoRoot, testHelper, withCatch } from '../../helpers/flow';
import { imageModel, noise, writeCalibrationImages } from '../../helpers/quant-models';

const quantizeNode = nodeModule('mlops-quantize');
const modelNode = nodeModule('mlops-model');

function tensorMessage(seed: number, type = 'float32') {
  const values = noise(3 * 16 * 16, seed);
  return {
    payload: `frame ${seed}`,
    tensor: { data: Buffer.from(values.buffer), type, dims: [1, 3, 16, 16], layout: 'NCHW', colorOrder: 'RGB' },
  };
}

describe('mlops-quantize node', function () {
  this.timeout(30000);
  let dir: string;
  let modelPath: string;

  before(async () => {
    await testHelper.startServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quantize-node-'));
    modelPath = path.join(dir, 'segmenter.onnx');
    fs.writeFileSync(modelPath, imageModel({ labels: '["a","b","c","d"]' }));
    await writeCalibrationImages(path.join(dir, 'images'), 3, 16);
  });
  after(async () => {
    await testHelper.stopServer();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => testHelper.unload());

  async function load(settings: Record<string, unknown> = {}) {
    const config = { id: 'q', type: 'mlops-quantize', model: 'model', mode: 'static', method: 'minmax', samples: 2, runs: 2, compare: true, ...settings };
    await testHelper.load([quantizeNode, modelNode, catchNode], withCatch(config, [{ id: 'model', type: 'mlops-model', path: modelPath, warmup: false }]));
    return { node: testHelper.getNode('q'), status: recordStatus('q') };
  }

  it('collects msg.tensor inputs, quantizes in a worker and reports the summary', async () => {
    const { node, status } = await load();
    const output = nextMessage('out');
    node.receive(tensorMessage(1));
    node.receive(tensorMessage(2));
    const msg = await output;
    const expectedPath = path.join(dir, 'segmenter.int8.onnx');
    assert.equal(msg.payload.outputPath, expectedPath);
    assert.equal(msg.modelPath, expectedPath);
    assert.equal(msg.payload.record.mode, 'static');
    assert.equal(msg.payload.record.calibrationSamples, 2);
    assert.ok(msg.payload.sizeAfter > 0 && msg.payload.sizeBefore === fs.statSync(modelPath).size);
    assert.equal(msg.payload.latency.runs, 2);
    assert.equal(msg.payload.agreement[0].kind, 'classMap');
    assert.equal(readQuantizationRecord(fs.readFileSync(expectedPath))!.calibrationSamples, 2);
    assert.equal(readModelInfo(fs.readFileSync(expectedPath)).metadata.labels, '["a","b","c","d"]');
    assert.deepEqual(status[0], { fill: 'grey', shape: 'ring', text: 'collected 1/2' });
    // Inferences: the probe (one tensor first, then the rest at once), then the second input.
    assert.deepEqual(status.filter((s) => /^calibrate /.test(s.text ?? '')).map((s) => s.text), ['calibrate 1/3', 'calibrate 2/3', 'calibrate 3/3']);
    const last = status[status.length - 1]!;
    assert.equal(last.fill, 'green');
    assert.match(last.text!, /^int8: \d\.\d\d× size · [\d.]+× · mIoU \d\.\d{3}$/);
  });

  it('tunes for a target agreement on held-out inputs and says what it kept in float', async () => {
    const { node, status } = await load({ samples: 4, targetAgreement: '0.9999', judgeOutputs: 'y', weightBits: '7', compare: false, maxMemory: '0.001' });
    const output = nextMessage('out');
    for (let i = 1; i <= 4; i++) node.receive(tensorMessage(i));
    const msg = await output;
    const tuning = msg.payload.record.accuracyTuning;
    assert.equal(tuning.target, 0.9999);
    assert.equal(tuning.heldOut, 1);
    assert.equal(msg.payload.record.calibrationSamples, 3);
    assert.equal(msg.payload.record.weightBits, 7);
    // 1 KiB of activations per inference: every calibrated tensor is fetched on its own
    assert.equal(msg.payload.record.calibration.budgetBytes, 1048.576);
    assert.ok(msg.payload.record.calibration.inferencesPerInput >= 3, JSON.stringify(msg.payload.record.calibration));
    assert.ok(tuning.steps.length >= 1 && tuning.steps[0].floatNodes.length === 0);
    assert.deepEqual(msg.payload.record.exclude, tuning.floatNodes);
    assert.match(status[status.length - 1]!.text!, / · \d+ float$/);
    assert.equal(status[status.length - 1]!.fill, tuning.met ? 'green' : 'yellow');
  });

  it('fails a non-float tensor to Catch with a red status and keeps serving', async () => {
    const { node, status } = await load();
    const caught = nextMessage('caught');
    node.receive(tensorMessage(1, 'uint8'));
    const error = await caught;
    assert.equal(error.error.message, 'Error: msg.tensor has type uint8; calibration needs float32 tensors, set mlops-tensor to float32 output');
    assert.deepEqual(status[status.length - 1]!.fill, 'red');
    assert.equal(status[status.length - 1]!.shape, 'ring');
    const output = nextMessage('out');
    node.receive(tensorMessage(3));
    node.receive(tensorMessage(4));
    const msg = await output;
    assert.equal(msg.payload.record.calibrationSamples, 2);
  });

  it('refuses inputs while a quantization runs (busy) and serves the next one afterwards', async () => {
    const { node } = await load({ samples: 1, compare: false });
    const output = nextMessage('out');
    const caught = nextMessage('caught');
    node.receive(tensorMessage(1));
    node.receive(tensorMessage(2));
    assert.equal((await caught).error.message, 'Error: a quantization is already running; send the next calibration input when it has finished');
    assert.equal((await output).payload.record.calibrationSamples, 1);
    const again = nextMessage('out');
    node.receive(tensorMessage(3));
    assert.equal((await again).payload.outputPath, path.join(dir, 'segmenter.int8.onnx'));
  });

  it('fails a message without tensor or folder, then quantizes from msg.folder', async () => {
    const { node } = await load({ compare: false, samples: 3 });
    const caught = nextMessage('caught');
    node.receive({ payload: 'go' });
    assert.match((await caught).error.message, /^Error: the message has no msg.tensor and no calibration folder is set; send float32 tensors/);
    const warnings: string[] = [];
    node.warn = (text: string) => { warnings.push(text); };
    const output = nextMessage('out');
    node.receive({ folder: path.join(dir, 'images') });
    const msg = await output;
    assert.equal(msg.payload.record.calibrationSamples, 3);
    // The model has no mean/std/scale metadata: the output and a warning say which defaults calibrated it.
    assert.deepEqual(msg.payload.normalisation.defaulted, ['scale', 'mean', 'std']);
    assert.deepEqual(warnings, ["calibration images were normalised with scale 1/255, mean [0, 0, 0], std [1, 1, 1]: scale, mean, std not in the model's metadata nor given, defaults used; calibration depends on them: give --mean/--std/--scale (node: metadata or mlops-tensor tensors) if the model was trained otherwise"]);
    assert.equal(msg.payload.latency, undefined);
  });

  it('reads at most "Calibration inputs" pictures of a folder, and warns (yellow) when the folder has fewer', async () => {
    const { node, status } = await load({ compare: false, samples: 5, folder: path.join(dir, 'images') });
    const warnings: string[] = [];
    node.warn = (text: string) => { warnings.push(text); };
    const output = nextMessage('out');
    node.receive({ payload: 'go' });
    assert.equal((await output).payload.record.calibrationSamples, 3);
    const few = warnings.filter((w) => /^calibrated with 3 pictures from .*images, fewer than the 5 set in "Calibration inputs"/.test(w));
    assert.equal(few.length, 1, warnings.join('\n'));
    assert.equal(status.at(-1)!.fill, 'yellow');
  });

  it('quantizes the bundled model with the bundled samples into <userDir>/models, never into the package, as version 1.0.0-int8', async function () {
    this.timeout(180000);
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quantize-userdir-'));
    const packageModels = fs.readdirSync(path.join(repoRoot, 'models')).sort();
    testHelper.settings({ userDir });
    try {
      const config = { id: 'q', type: 'mlops-quantize', model: 'model', mode: 'static', method: 'percentile', samples: 5, folder: 'bundled:samples', compare: false };
      await testHelper.load([quantizeNode, modelNode, catchNode], withCatch(config, [{ id: 'model', type: 'mlops-model', path: 'bundled:vqi-demo.onnx', warmup: false }]));
      const node = testHelper.getNode('q');
      const logged: string[] = [];
      node.log = (text: string) => { logged.push(text); };
      const output = nextMessage('out', 170000);
      node.receive({ payload: 'go' });
      const msg = await output;
      const written = path.join(userDir, 'models', 'vqi-demo.int8.onnx');
      assert.equal(msg.payload.outputPath, written);
      assert.equal(msg.modelFile, path.join('models', 'vqi-demo.int8.onnx'));
      assert.equal(msg.payload.record.calibrationSamples, 5);
      assert.equal(readModelInfo(fs.readFileSync(written)).metadata.version, '1.0.0-int8');
      assert.deepEqual(fs.readdirSync(path.join(repoRoot, 'models')).sort(), packageModels, 'nothing written into the package');
      assert.deepEqual(logged, [`int8 model 1.0.0-int8 written to ${written}; to inspect with it, set the file of the mlops-model configuration to models/vqi-demo.int8.onnx`]);
    } finally {
      testHelper.settings({ userDir: undefined });
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('refuses a bundled: folder other than bundled:samples, with the reason', async () => {
    const { node } = await load({ folder: 'bundled:../models' });
    const caught = nextMessage('caught');
    node.receive({ payload: 'go' });
    assert.match((await caught).error.message, /"bundled:\.\.\/models" does not name the bundled sample pictures; use bundled:samples or the path of a folder/);
  });
});
