// The shipped aps-demo model against its card: the test split is regenerated here, run through onnxruntime-node,
// and the confusion counts must agree with what training reported (PyTorch's float math may flip a borderline row).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { APS_FEATURES, APS_LABELS, apsCost, generateAps } from '../../lib/aps';
import { loadModelInfo } from '../../lib/inference';
import { repoRoot } from '../helpers/flow';

const MODEL = path.join(repoRoot, 'models', 'aps-demo.onnx');
const card = JSON.parse(fs.readFileSync(path.join(repoRoot, 'models', 'aps-demo.card.json'), 'utf8'));

describe('aps-demo model (shipped) against its card', function () {
  this.timeout(30000);

  it('describes itself: features in order, labels, threshold, normalisation, a free batch dimension', () => {
    const info = loadModelInfo(MODEL);
    assert.deepEqual(info.inputs.map((i) => [i.name, i.type, i.dims]), [['features', 'float32', ['batch', 171]]]);
    assert.deepEqual(info.outputs.map((o) => [o.name, o.dims]), [['logits', ['batch', 2]]]);
    assert.deepEqual(JSON.parse(info.metadata.features!), APS_FEATURES);
    assert.deepEqual(JSON.parse(info.metadata.labels!), APS_LABELS);
    assert.equal(Number(info.metadata.threshold), card.threshold);
    const normalisation = JSON.parse(info.metadata.normalisation!);
    assert.equal(normalisation.mean.length, 171);
    assert.ok(fs.statSync(MODEL).size < 200_000);
  });

  it('the regenerated test split is the one the card reports on', () => {
    const test = generateAps('test');
    assert.equal(test.rows, card.data.test.rows);
    assert.equal(test.labels.reduce((a, b) => a + b, 0), card.data.test.failures);
    let missing = 0;
    for (const v of test.features) if (Number.isNaN(v)) missing++;
    assert.ok(Math.abs(missing / test.features.length - card.data.test.missingShare) < 1e-9);
  });

  it('precision, recall and APS cost on the 16 000 test rows in onnxruntime-node match the card', async () => {
    const test = generateAps('test');
    const session = await ort.InferenceSession.create(MODEL, { intraOpNumThreads: 1 });
    const { logits } = await session.run({ features: new ort.Tensor('float32', test.features, [test.rows, 171]) });
    await session.release();
    const values = logits!.data as Float32Array;
    const expected = card.test.at_threshold;
    let tp = 0; let fp = 0; let fn = 0;
    for (let r = 0; r < test.rows; r++) {
      const a = values[2 * r]!; const b = values[2 * r + 1]!;
      const failure = 1 / (1 + Math.exp(a - b));
      const flagged = failure > card.threshold;
      if (flagged && test.labels[r] === 1) tp++;
      else if (flagged) fp++;
      else if (test.labels[r] === 1) fn++;
    }
    assert.ok(Math.abs(tp - expected.tp) <= 2 && Math.abs(fp - expected.fp) <= 2 && Math.abs(fn - expected.fn) <= 2,
      `onnxruntime: tp ${tp} fp ${fp} fn ${fn}; card: tp ${expected.tp} fp ${expected.fp} fn ${expected.fn}`);
    // What the card promises a user: most failures found, at a cost far below flagging nothing (375 × 500).
    assert.ok(tp / (tp + fn) > 0.9, `recall ${tp / (tp + fn)}`);
    assert.ok(apsCost(fp, fn) < 0.1 * apsCost(0, 375), `cost ${apsCost(fp, fn)}`);
  });
});
