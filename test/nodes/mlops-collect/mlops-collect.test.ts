// mlops-collect behind the real VQI pipeline (demo model in onnxruntime, sharp): what a kept sample holds, the
// rules and limits as a flow sees them, bad messages, the bounded store, and upload as an event with the picture.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { pixelUncertainty } from '../../../lib/collect';
import { FakeCumulocity } from '../../fixtures/c8y-server';
import { nextMessage, testHelper } from '../../helpers/flow';
import { VQI_PICTURES, vqiNodes, vqiPipeline } from '../../helpers/vqi-pipeline';

const PICTURES = VQI_PICTURES;

describe('mlops-collect in the VQI pipeline', function () {
  this.timeout(60000);
  let dir: string;
  const load = (collect: Record<string, unknown>, extra: object[] = [], credentials = {}) =>
    testHelper.load(vqiNodes(), vqiPipeline({ directory: dir, ...collect }, extra), credentials);
  const inspect = async (payload: Buffer | string, more: object = {}, at = 'image') => {
    const result = nextMessage('out');
    testHelper.getNode(at).receive({ payload, ...more });
    return result;
  };
  const samples = () => fs.readdirSync(dir).filter((f) => /^\d{10}-/.test(f)).sort();

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-collect-'));
    testHelper.settings({ userDir: dir });
  });
  afterEach(async () => {
    await testHelper.unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the picture as received, the class map as a grey PNG and the prediction with model and flow', async () => {
    await load({ rules: [{ kind: 'requested' }] });
    const msg = await inspect(PICTURES[0]!, { collect: true, assetId: 'tower-17' });
    assert.equal(msg.collected.kept, true);
    assert.equal(msg.collected.reason, 'msg.collect is true');
    const [id] = samples();
    assert.equal(msg.collected.id, id);
    const sampleDir = path.join(dir, id!);
    assert.deepEqual(fs.readFileSync(path.join(sampleDir, 'picture.jpg')), PICTURES[0]);
    const header = await sharp(path.join(sampleDir, 'classmap.png')).metadata();
    assert.deepEqual([header.format, header.channels, header.width, header.height], ['png', 1, msg.segmentation.width, msg.segmentation.height]);
    const mask = await sharp(path.join(sampleDir, 'classmap.png')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    assert.ok(mask.data.equals(msg.segmentation.classMap), 'the mask is the predicted class map, pixel for pixel');
    const meta = JSON.parse(fs.readFileSync(path.join(sampleDir, 'sample.json'), 'utf8'));
    assert.equal(meta.assetId, 'tower-17');
    assert.deepEqual(meta.labels, ['background', 'tower', 'cable', 'rust']);
    assert.deepEqual(meta.flow, { name: 'vqi-flow', version: '1.2.0' });
    assert.equal(meta.condition.state, msg.condition.state);
    assert.deepEqual(meta.condition.ratios, msg.condition.ratios);
    assert.equal(meta.reviewed, false);

    const skipped = await inspect(PICTURES[1]!);
    assert.deepEqual(skipped.collected, { kept: false });
    assert.equal(samples().length, 1);
  });

  it('measures uncertainty on the model\'s real output and keeps pictures the model is unsure about', async () => {
    await load({ rules: [{ kind: 'uncertain', measure: 'entropy', threshold: 0 }] });
    const msg = await inspect(PICTURES[2]!);
    const name = msg.segmentation.output as string;
    const expected = pixelUncertainty(msg.outputs[name], name, 0.6);
    assert.ok(expected.meanEntropy > 0 && expected.meanEntropy < 1, String(expected.meanEntropy));
    const meta = JSON.parse(fs.readFileSync(path.join(dir, samples()[0]!, 'sample.json'), 'utf8'));
    assert.deepEqual(meta.uncertainty, expected);
    assert.match(msg.collected.reason, /^mean pixel entropy 0\.\d+ ≥ 0$/);
  });

  it('holds each rule to its limit and says so, and a bad message fails alone', async () => {
    await load({ rules: [{ kind: 'requested', perHour: 1 }] });
    const errors: string[] = [];
    testHelper.getNode('caught').on('input', (m: { error: { message: string } }) => errors.push(m.error.message));
    assert.equal((await inspect(PICTURES[0]!, { collect: true })).collected.kept, true);
    const limited = await inspect(PICTURES[1]!, { collect: true });
    assert.deepEqual(limited.collected, { kept: false, limitedBy: [1] });
    const caught = nextMessage('caught');
    testHelper.getNode('collect').receive({ payload: 'no pipeline before me', collect: true });
    assert.match((await caught).error.message, /msg\.segmentation is missing or incomplete/);
    assert.equal((await inspect(PICTURES[2]!)).collected.kept, false, 'the next message is served');
    assert.equal(errors.length, 1);
  });

  it('evicts the oldest samples at the count limit and shows it in the status', async () => {
    await load({ rules: [{ kind: 'random', share: 1 }], maxCount: 2 });
    const statuses: string[] = [];
    testHelper.getNode('collect').on('call:status', (call: { args: [{ text?: string }] }) => statuses.push(call.args[0]?.text ?? ''));
    for (const picture of PICTURES) await inspect(picture);
    assert.equal(samples().length, 2);
    assert.equal(statuses.at(-1), 'kept 2 · evicted 1 · limited 0');
  });

  it('refuses settings it cannot use, on every message', async () => {
    await load({ rules: [{ kind: 'random', share: 'often' }] });
    const caught = nextMessage('caught');
    testHelper.getNode('collect').receive({ payload: 1 });
    assert.match((await caught).error.message, /Collect rule 1: share "often" must be between 0 and 1/);
  });

  describe('upload', () => {
    let tenant: FakeCumulocity;
    beforeEach(async () => {
      tenant = new FakeCumulocity({ basic: 't1/robot:pw' });
      await tenant.start();
    });
    afterEach(async () => { await testHelper.unload(); await tenant.stop(); });

    it('sends each kept sample as an event with the picture through the connection\'s store and forward', async () => {
      await load({ rules: [{ kind: 'requested' }], upload: true, connection: 'conn' }, [
        { id: 'conn', type: 'mlops-c8y', transport: 'cumulocity', tenantUrl: tenant.url, retryMinS: '0.02', retryMaxS: '0.2', timeoutS: '5' },
      ], { conn: { user: 't1/robot', password: 'pw' } });
      const msg = await inspect(PICTURES[0]!, { collect: true, assetId: 'tower-9' });
      await tenant.waitFor(() => tenant.binaries.length === 1, 'the picture attached to the event');
      const [event] = tenant.events;
      assert.equal(event.type, 'mlops_TrainingSample');
      assert.equal(event.mlops_TrainingSample.id, msg.collected.id);
      assert.deepEqual(event.mlops_Flow, { name: 'vqi-flow', version: '1.2.0' });
      assert.deepEqual(tenant.binaries[0]!.data, PICTURES[0]);
      assert.equal(tenant.externalIds.get('c8y_Serial/tower-9'), event.source.id);
    });
  });
});
