import assert from 'node:assert/strict';
import { catchNode, nextMessage, nextMessages, nodeModule, recordStatus, testHelper, withCatch } from './helpers/flow';
import { checkerboard, greyPicture, segmentation } from './helpers/condition-fixtures';

const conditionNode = nodeModule('mlops-condition');

describe('mlops-condition node', () => {
  before(() => testHelper.startServer());
  after(() => testHelper.stopServer());
  afterEach(() => testHelper.unload());

  const config = { id: 'cond', type: 'mlops-condition', assetId: 'line-4/tower-12', assetClasses: 'tower, cable', minAssetRatio: 0.005, minSharpness: 15, minBrightness: 30, maxBrightness: 230, debounce: 1 };

  async function load(settings: Record<string, unknown> = {}) {
    await testHelper.load([conditionNode, catchNode], withCatch({ ...config, ...settings }));
    return { status: recordStatus('cond'), node: testHelper.getNode('cond') };
  }

  it('writes msg.condition with state, severity, reasons and quality, and keeps the rest of msg', async () => {
    const { status, node } = await load();
    const received = nextMessage('out');
    node.receive({ payload: 'frame', segmentation: segmentation({ tower: 1000, rust: 60 }), image: checkerboard, timings: { inference: 3 } });
    const msg = await received;
    assert.equal(msg.payload, 'frame');
    assert.equal(msg.timings.inference, 3);
    assert.equal(typeof msg.timings.condition, 'number');
    assert.deepEqual(msg.condition, {
      assetId: 'line-4/tower-12', assetType: 'tower', state: 'CRITICAL', score: 1, severity: 'CRITICAL',
      reasons: ['rust / tower = 0.06 > 0.05 → CRITICAL', 'rust / tower = 0.06 > 0.01 → WARNING'],
      ratios: { background: 0.894, tower: 0.1, cable: 0, rust: 0.006, 'rust/tower': 0.06 },
      quality: { sharpness: 1040400, brightness: 127.5 },
      previousState: null, changed: true,
    });
    assert.deepEqual(status.at(-1), { fill: 'red', shape: 'dot', text: 'tower: CRITICAL' });
  });

  it('asks for a retake on a blurry picture, with the reason in the status', async () => {
    const { status, node } = await load();
    const received = nextMessage('out');
    node.receive({ segmentation: segmentation({ tower: 1000 }), image: greyPicture(16, 16, () => 128), assetId: 'T1' });
    const msg = await received;
    assert.deepEqual([msg.condition.assetId, msg.condition.state, msg.condition.severity, msg.condition.reasons],
      ['T1', 'RETAKE', 'WARNING', ['too blurry: sharpness 0 < 15 (variance of the Laplacian)']]);
    assert.equal(status.at(-1)!.fill, 'blue');
    assert.match(status.at(-1)!.text!, /^retake: too blurry/);
  });

  it('debounces per msg.assetId', async () => {
    const { node } = await load({ debounce: 2, minSharpness: 0, minBrightness: 0, maxBrightness: 255 });
    const received = nextMessages('out', 4);
    node.receive({ segmentation: segmentation({ tower: 1000 }), assetId: 'A' });
    node.receive({ segmentation: segmentation({ tower: 1000, rust: 60 }), assetId: 'A' });
    node.receive({ segmentation: segmentation({ tower: 1000, rust: 60 }), assetId: 'B' });
    node.receive({ segmentation: segmentation({ tower: 1000, rust: 60 }), assetId: 'A' });
    const states = (await received).map((m) => `${m.condition.assetId}:${m.condition.state}${m.condition.changed ? '*' : ''}`);
    assert.deepEqual(states, ['A:OK*', 'A:OK', 'B:CRITICAL*', 'A:CRITICAL*']);
  });

  it('fails a message without msg.segmentation to Catch with a red ring, then serves the next one', async () => {
    const { status, node } = await load();
    const caught = nextMessage('caught');
    node.receive({ payload: 'no segmentation', image: checkerboard });
    const error = await caught;
    assert.equal(error.error.message, 'Error: msg.segmentation is missing: connect this node after mlops-segment.');
    assert.deepEqual(status.at(-1), { fill: 'red', shape: 'ring', text: 'msg.segmentation is missing: connect this node after mlops-segment' });
    const received = nextMessage('out');
    node.receive({ segmentation: segmentation({ tower: 1000 }), image: checkerboard });
    assert.equal((await received).condition.state, 'OK');
  });

  it('names the model labels when a rule uses another class', async () => {
    const { node } = await load({ rules: [{ numerator: 'corrosion', denominator: 'tower', operator: '>', threshold: 0.01, state: 'WARNING' }] });
    const caught = nextMessage('caught');
    node.receive({ segmentation: segmentation({ tower: 1000 }), image: checkerboard });
    assert.equal((await caught).error.message,
      'Error: Rule 1 uses the class "corrosion", but the model\'s classes are background, tower, cable, rust. Change the node\'s settings to use these labels.');
  });

  it('an invalid rule table shows a red status at deploy and fails every message with the row and the problem', async () => {
    const { node } = await load({ rules: [{ numerator: 'rust', denominator: 'tower', operator: '≥', threshold: 0.01, state: 'WARNING' }] });
    const status = recordStatus('cond');
    const caught = nextMessage('caught');
    node.receive({ segmentation: segmentation({ tower: 1000 }), image: checkerboard });
    assert.equal((await caught).error.message, 'Error: Rule 1: operator "≥" is not one of > >= < <=');
    assert.deepEqual(status.at(-1), { fill: 'red', shape: 'ring', text: 'Rule 1: operator "≥" is not one of > >= < <=' });
  });
});
