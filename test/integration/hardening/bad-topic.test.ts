// Issue 10 item 1: a control character in an asset id must never wedge store and forward.
// Reproduction: asset id "x\nb" reached the queue; mosquitto disconnects on the publish ("malformed packet") and
// mqtt.js re-sent the same record first on every reconnect, so nothing behind it was ever delivered.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeadLetterFile, DEAD_LETTER_FILE } from '../../../lib/publishing/dead-letter';
import { Forwarder, type SetAside } from '../../../lib/publishing/forwarder';
import { MqttLink } from '../../../lib/publishing/mqtt-link';
import { DiskQueue, type QueueRecord } from '../../../lib/publishing/queue';
import { assetIdProblem, validateAssetId } from '../../../lib/publishing/topic-rules';
import { c8yNodes, condition, connectionIdle, publishFlow, tempUserDir } from '../../helpers/c8y-flow';
import { nextMessage, testHelper } from '../../helpers/flow';
import { Mosquitto, Recorder } from '../../helpers/mosquitto';
import { DEFAULT_TOPICS } from '../../../lib/publishing/topics';

const HOSTILE_IDS = ['x\nb', 'x\u007fb', 'x\uffffb', 'x\u0085b', 'x\ud800b', 'x/b', 'x+b', 'x#b', 'x'.repeat(300), 'main', ''];

describe('hardening: topic segments and a record the broker refuses (real mosquitto)', function () {
  this.timeout(30000);
  let broker: Mosquitto;
  let recorder: Recorder;
  let dir: string;

  before(async () => { broker = await Mosquitto.start(); });
  after(async () => { await broker.dispose(); });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-hardening-'));
    recorder = await Recorder.connect(broker.url, ['te/#']);
  });
  afterEach(async () => {
    await recorder.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says what is wrong with each hostile asset id and accepts ordinary ones', () => {
    for (const id of HOSTILE_IDS) {
      assert.ok(assetIdProblem(id), `asset id ${JSON.stringify(id)} must be refused`);
      assert.throws(() => validateAssetId(id), (err: Error & { code?: string }) => ['invalid-topic-segment', 'reserved-asset-id'].includes(err.code!));
    }
    assert.match(assetIdProblem('x\nb')!, /control character \(U\+000A\)/);
    assert.match(assetIdProblem('main')!, /reserved by thin-edge/);
    for (const id of ['tower-17', 'Mast 3 (Nord)', 'Mäst_ø.1', '塔-7', 'x'.repeat(256)]) assert.equal(assetIdProblem(id), undefined, id);
  });

  it('sets aside a record mosquitto disconnects on and delivers the ones behind it', async () => {
    const queue = DiskQueue.open({ dir, maxBytes: 1 << 20, policy: 'reject', fsync: false });
    const link = new MqttLink({ host: '127.0.0.1', port: broker.port, tls: false, clientId: `hardening-${process.pid}`, serviceName: 'hardening', reconnectPeriodMs: 50, topics: DEFAULT_TOPICS });
    // link.publish does not check topics, as with a record queued by a version that did not either.
    const forwarder = new Forwarder(queue, (record) => link.publish(record.header as never), { retryMinMs: 20, retryMaxMs: 100, deadLetter: new DeadLetterFile(dir, 1 << 20) });
    const failed = once(forwarder, 'failed');
    for (const topic of ['te/device/ok-1///m/t', 'te/device/x\nb///m/t', 'te/device/ok-2///m/t']) queue.append({ topic, payload: '{"v":1}', retain: false });
    link.on('up', () => forwarder.kick());
    const [record, , aside] = await failed as [QueueRecord, Error, SetAside];
    assert.equal((record.header as { topic: string }).topic, 'te/device/x\nb///m/t');
    assert.match(aside.reason, /connection broke 3 times/);
    await recorder.waitForCount('te/device/ok-2///m/t', 1);
    assert.equal(recorder.on('te/device/ok-1///m/t').length, 1);
    const lines = fs.readFileSync(path.join(dir, DEAD_LETTER_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].header.topic, 'te/device/x\nb///m/t');
    assert.equal((fs.statSync(path.join(dir, DEAD_LETTER_FILE)).mode & 0o777), 0o600);
    await forwarder.stop();
    await link.close();
    queue.close();
  });

  describe('in a Node-RED runtime', () => {
    let userDir: string;
    beforeEach(() => { userDir = tempUserDir(); testHelper.settings({ userDir }); });
    afterEach(async () => { await testHelper.unload(); fs.rmSync(userDir, { recursive: true, force: true }); });
    const load = () => testHelper.load(c8yNodes(), publishFlow({ mqttHost: '127.0.0.1', mqttPort: String(broker.port), proxyUrl: 'http://127.0.0.1:9/c8y', serviceName: 'hardening' }));

    it('refuses a hostile asset id with done(err) before anything is queued, and serves the next message', async () => {
      await load();
      await connectionIdle();
      for (const assetId of ['x\nb', 'x\u007fb', 'x\uffffb', 'main']) {
        const caught = nextMessage('caught');
        testHelper.getNode('pub').receive({ assetId, condition: condition('CRITICAL', { assetId }) });
        const msg = await caught;
        assert.match(msg.error.message, /asset id/);
        assert.equal((testHelper.getNode('conn') as unknown as { state: { queued: number } }).state.queued, 0);
      }
      testHelper.getNode('pub').receive({ assetId: 'tower-9', condition: condition('CRITICAL', { assetId: 'tower-9' }) });
      await nextMessage('out');
      await recorder.waitFor((all) => all.some((m) => m.topic === 'te/device/tower-9///a/mlops_AssetCondition'), 'the alarm of tower-9');
      assert.deepEqual(recorder.messages.filter((m) => m.topic.startsWith('te/device/x') || m.topic.startsWith('te/device/main//')), []);
    });

    it('after a restart, sets aside a bad record an older version queued and delivers what is behind it', async () => {
      const laneDir = path.join(userDir, 'mlops-c8y-queue', 'conn', 'mqtt'); // where mlops-c8y keeps its MQTT lane
      const old = DiskQueue.open({ dir: laneDir, maxBytes: 1 << 20, policy: 'drop-oldest', fsync: false });
      old.append({ kind: 'mqtt', topic: 'te/device/x\nb//', payload: '{"@type":"child-device"}', retain: true });
      old.append({ kind: 'mqtt', topic: 'te/device/tower-3///m/mlops_Inspection', payload: '{"n":1}', retain: false });
      old.close();
      await load();
      await recorder.waitForCount('te/device/tower-3///m/mlops_Inspection', 1);
      await connectionIdle();
      const lines = fs.readFileSync(path.join(laneDir, DEAD_LETTER_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l) => l.header.topic), ['te/device/x\nb//']);
      assert.match(lines[0].reason, /control character/);
      const state = (testHelper.getNode('conn') as unknown as { state: { failed: number } }).state;
      assert.equal(state.failed, 1);
    });
  });
});
