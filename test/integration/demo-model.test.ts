// The shipped demo model still earns the figures on its card: the test subset is regenerated from the test seed
// and run through onnxruntime-node with the pre-processing its metadata prescribes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { assess, DEFAULT_SETTINGS } from '../../lib/condition';
import { readModelInfo } from '../../lib/onnx';
import { argmaxClasses, evaluateOnSplit, normalisationFromMetadata, pictureTensor, renderSample, sampleSeed } from '../../lib/synthetic';
import { repoRoot } from '../helpers/flow';

const models = path.join(repoRoot, 'models');

describe('demo model models/vqi-demo.onnx', function () {
  this.timeout(120000);
  const card = JSON.parse(fs.readFileSync(path.join(models, 'vqi-demo.card.json'), 'utf8'));
  const bytes = fs.readFileSync(path.join(models, card.file));

  it('is the file the card describes, with the metadata the nodes read', () => {
    assert.equal(createHash('sha256').update(bytes).digest('hex'), card.sha256);
    assert.ok(bytes.length < 5e6, `${bytes.length} bytes`);
    const info = readModelInfo(bytes);
    assert.deepEqual(info.inputs[0]!.dims, [1, 3, ...card.inputSize]);
    assert.deepEqual(info.outputs[0]!.dims, [1, 4, ...card.inputSize]);
    assert.deepEqual(JSON.parse(info.metadata.labels!), card.labels);
    assert.equal(info.metadata.name, 'vqi-demo');
    assert.equal(info.metadata.task, 'segmentation');
  });

  it('reaches the card\'s test mIoU (within 0.02) on the regenerated test subset', async () => {
    const subset = card.metrics.testSubset;
    const report = await evaluateOnSplit(bytes, readModelInfo(bytes), {
      split: 'test', seed: subset.seed, count: subset.count, size: card.inputSize[0],
    });
    assert.ok(Math.abs(report.mIoU - subset.mIoU) <= 0.02, `mIoU ${report.mIoU} vs card ${subset.mIoU}`);
    for (const label of card.labels) {
      assert.ok(Math.abs(report.perClass[label]! - subset.perClass[label]) <= 0.03, `${label}: ${report.perClass[label]} vs card ${subset.perClass[label]}`);
    }
  });

  it('drives mlops-condition to the same state as the true masks on nearly every test picture', async () => {
    const labels: string[] = card.labels;
    const asSegmentation = (classMap: Uint8Array) => {
      const pixels = labels.map(() => 0);
      for (const k of classMap) pixels[k]!++;
      return { labels, width: 256, height: 256, classes: labels.map((label, index) => ({ index, label, pixels: pixels[index]! })) };
    };
    const settings = { ...DEFAULT_SETTINGS, minSharpness: 0, minBrightness: 0, maxBrightness: 255 };
    const normalisation = normalisationFromMetadata(readModelInfo(bytes).metadata);
    const session = await ort.InferenceSession.create(bytes);
    const states: string[] = [];
    let agree = 0;
    for (let i = 0; i < 24; i++) {
      const sample = await renderSample(sampleSeed(3, 'test', i), 256);
      const input = new ort.Tensor('float32', await pictureTensor(sample.image, normalisation), [1, 3, 256, 256]);
      const logits = (await session.run({ image: input })).logits!.data as Float32Array;
      const truth = assess(asSegmentation(sample.classMap), undefined, settings).state;
      const predicted = assess(asSegmentation(argmaxClasses(logits, labels.length, 256 * 256)), undefined, settings).state;
      states.push(truth);
      if (truth === predicted) agree++;
    }
    await session.release();
    // Measured when the model shipped: 23 of 24 (one WARNING at rust/tower 0.025 read as 0.010, OK).
    assert.ok(agree >= 22, `${agree} of 24 agree`);
    assert.ok(states.includes('CRITICAL') && states.includes('WARNING') && states.includes('OK'), 'the subset covers all three states');
  });
});
