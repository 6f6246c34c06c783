import assert from 'node:assert/strict';
import path from 'node:path';
import { generateAps } from '../../../lib/aps';
import { bufferOf } from '../../../lib/contract';
import { catchNode, nextMessage, nodeModule, recordStatus, repoRoot, testHelper, withCatch } from '../../helpers/flow';
import { withCatalog } from '../../helpers/catalog';

const MODEL = path.join(repoRoot, 'models', 'aps-demo.onnx');

async function load(classify: object = {}): Promise<void> {
  const classifyNode = await withCatalog(nodeModule('mlops-classify'), 'mlops-classify');
  await testHelper.load([nodeModule('mlops-model'), nodeModule('mlops-infer'), classifyNode, catchNode], withCatch(
    { id: 'classify', type: 'mlops-classify', model: 'model', ...classify },
    [
      { id: 'model', type: 'mlops-model', path: MODEL, workers: 1, warmup: true },
      { id: 'infer', type: 'mlops-infer', model: 'model', x: 100, y: 300, wires: [['classify']] },
    ],
  ));
}

describe('mlops-classify node', function () {
  this.timeout(20000);
  afterEach(() => testHelper.unload());

  it('APS rows through the shipped model: labels and threshold from its metadata, a prediction per message', async () => {
    await load();
    const test = generateAps('test', 14, 400);
    const failureRow = test.labels.indexOf(1);
    const statuses = recordStatus('classify');
    for (const row of [failureRow, test.labels.indexOf(0)]) {
      const out = nextMessage('out');
      const features = test.features.slice(row * 171, (row + 1) * 171);
      testHelper.getNode('infer').receive({ tensor: { data: bufferOf(features), type: 'float32', dims: [1, 171] }, assetId: `truck-${row}` });
      const msg = await out;
      const p = msg.prediction;
      assert.deepEqual(Object.keys(p.scores), ['normal', 'failure']);
      assert.ok(Math.abs(p.scores.normal + p.scores.failure - 1) < 1e-6);
      // The card's threshold (0.04) decides, not 0.5.
      assert.equal(p.label, p.scores.failure > 0.04 ? 'failure' : 'normal');
      assert.equal(p.label, test.labels[row] === 1 ? 'failure' : 'normal', `row ${row}: ${JSON.stringify(p)}`);
      assert.equal(typeof msg.timings.classify, 'number');
    }
    assert.match(statuses.at(-1)!.text!, /^normal [01]\.\d{3} · \d+(\.\d)? ms$/);
  });

  it('a label list that does not fit the output fails to Catch with the catalog text; the next message passes', async () => {
    await load({ labels: 'a, b, c' });
    const caught = nextMessage('caught');
    testHelper.getNode('classify').receive({ outputs: { logits: { data: bufferOf(new Float32Array([1, 2])), type: 'float32', dims: [1, 2] } } });
    assert.equal((await caught).error.message, 'Error: Output "logits" has 2 classes but the labels are a, b, c; give one label per class.');
    const caughtAgain = nextMessage('caught');
    testHelper.getNode('classify').receive({ payload: 1 });
    assert.match((await caughtAgain).error.message, /msg.outputs has no model outputs/);
  });
});
