import assert from 'node:assert/strict';
import { catchNode, nextMessage, nextMessages, nodeModule, recordStatus, testHelper, withCatch } from '../../helpers/flow';
import { checkerboard, greyPicture, segmentation } from '../../helpers/condition-fixtures';
import { formatMs, totalMs } from '../../../lib/timings';
import { inspectionLog } from '../../../nodes/shared/inspections';

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
      thresholds: { 'rust/tower': [0.05, 0.01] },
      quality: { sharpness: 1040400, brightness: 127.5 },
      previousState: null, changed: true,
    });
    // The pipeline's total: every stage the message carries (here the earlier inference's 3 ms and its own).
    assert.deepEqual(status.at(-1), { fill: 'red', shape: 'dot', text: `tower: CRITICAL · total ${formatMs(totalMs(msg.timings))} ms` });
    assert.ok(totalMs(msg.timings) >= 3);
  });

  it('records the inspection for the editor\'s edge ML sidebar: state, reasons, model, the tab\'s flow name and version, timings', async () => {
    const flow = withCatch(config);
    flow[0] = { id: 'tab', type: 'tab', label: 'test', env: [{ name: 'MODULE_NAME', value: 'vqi-flow', type: 'str' }, { name: 'MODULE_VERSION', value: '1.2.0', type: 'str' }] };
    await testHelper.load([conditionNode, catchNode], flow);
    const received = nextMessage('out');
    testHelper.getNode('cond').receive({
      _msgid: 'inspection-1', segmentation: segmentation({ tower: 1000, rust: 60 }), image: checkerboard, assetId: 'tower-12',
      model: { name: 'tower-seg', version: '2.0.0', sha256: 'ab' }, timings: { decode: 2, infer: 20 },
    });
    const msg = await received;
    const entry = inspectionLog.entries().find((e) => e.msgId === 'inspection-1');
    assert.deepEqual({ ...entry, at: typeof entry?.at }, {
      msgId: 'inspection-1', assetId: 'tower-12', assetType: 'tower', state: 'CRITICAL', severity: 'CRITICAL', reasons: msg.condition.reasons,
      model: { name: 'tower-seg', version: '2.0.0' }, flow: { name: 'vqi-flow', version: '1.2.0' },
      timings: msg.timings, totalMs: totalMs(msg.timings), at: 'number', node: 'cond',
    });
  });

  it('asks for a retake on a blurry picture, with the reason in the status', async () => {
    const { status, node } = await load();
    const received = nextMessage('out');
    node.receive({ segmentation: segmentation({ tower: 1000 }), image: greyPicture(16, 16, () => 128), assetId: 'T1' });
    const msg = await received;
    assert.deepEqual([msg.condition.assetId, msg.condition.state, msg.condition.severity, msg.condition.reasons],
      ['T1', 'RETAKE', 'WARNING', ['too blurry: sharpness 0 < 15 (variance of the Laplacian)']]);
    assert.equal(status.at(-1)!.fill, 'blue');
    assert.match(status.at(-1)!.text!, /^retake: too blurry · total [\d.]+ ms$/, 'the reason\'s heading only: the figures are in msg.condition.reasons');
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
    assert.equal(error.error.message, 'Error: msg.segmentation (or msg.prediction) is missing: connect this node after mlops-segment or mlops-classify.');
    assert.deepEqual(status.at(-1), { fill: 'red', shape: 'ring', text: 'msg.segmentation (or msg.prediction) is missing: connect this node after mlops-…' });
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
  describe('judging predictions (mlops-classify)', () => {
    const rules = [
      { numerator: 'failure', denominator: 'image', operator: '>', threshold: 0.8, state: 'CRITICAL' },
      { numerator: 'failure', denominator: 'image', operator: '>', threshold: 0.3, state: 'WARNING' },
    ];
    const prediction = (failure: number) => ({ label: failure > 0.5 ? 'failure' : 'normal', index: failure > 0.5 ? 1 : 0, score: Math.max(failure, 1 - failure), scores: { normal: 1 - failure, failure } });

    it('failure > 0.8 → CRITICAL with the same debounce per asset, no picture checks', async () => {
      const { node, status } = await load({ rules, debounce: 2, assetClasses: 'truck' });
      const received = nextMessages('out', 4);
      node.receive({ prediction: prediction(0.1), assetId: 't1' });
      node.receive({ prediction: prediction(0.95), assetId: 't1' });
      node.receive({ prediction: prediction(0.9), assetId: 't1' });
      node.receive({ prediction: prediction(0.5), assetId: 't2' });
      const msgs = await received;
      assert.deepEqual(msgs.map((m) => `${m.condition.assetId}:${m.condition.state}${m.condition.changed ? '*' : ''}`), ['t1:OK*', 't1:OK', 't1:CRITICAL*', 't2:WARNING*']);
      const critical = msgs[2].condition;
      assert.deepEqual([critical.assetType, critical.severity, critical.score, critical.quality], ['truck', 'CRITICAL', 1, null]);
      assert.deepEqual(critical.reasons, ['failure = 0.9 > 0.8 → CRITICAL', 'failure = 0.9 > 0.3 → WARNING']);
      assert.deepEqual(critical.ratios, { normal: 1 - 0.9, failure: 0.9 });
      assert.match(msgs[1].condition.reasons.at(-1), /CRITICAL seen 1 of 2 times in a row; state stays OK/);
      assert.equal(status.at(-1)!.fill, 'yellow');
    });

    it('refuses a malformed prediction and a rule on a label the model lacks, then serves the next one', async () => {
      const { node } = await load({ rules });
      let caught = nextMessage('caught');
      node.receive({ prediction: { label: 'x', scores: { failure: 'high' } } });
      assert.match((await caught).error.message, /msg.prediction is not a prediction/);
      caught = nextMessage('caught');
      node.receive({ prediction: { label: 'ok', index: 0, score: 1, scores: { ok: 1, broken: 0 } } });
      assert.match((await caught).error.message, /Rule 1 uses the class "failure", but the model's classes are ok, broken/);
      const out = nextMessage('out');
      node.receive({ prediction: prediction(0.99) });
      assert.equal((await out).condition.state, 'CRITICAL');
    });
  });
});
