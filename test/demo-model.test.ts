// The shipped demo model still earns the figures on its card: the test subset is regenerated from the test seed
// and run through onnxruntime-node with the pre-processing its metadata prescribes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readModelInfo } from '../lib/onnx';
import { evaluateOnSplit } from '../lib/synthetic';
import { repoRoot } from './helpers/flow';

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
});
