// Issue 10 items 3 and 4: after a drop-oldest overflow the alarm (and registration, twin) must still reach the
// broker; the per-asset memory is bounded.
// Reproduction of 3: offline, a CRITICAL inspection queues "raise"; more data overflows the queue and drops it; the
// memory believed it was published, so the alarm never came, until a restart.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildPublication, type PublishSettings } from '../../../lib/publishing/inspection';
import { PublishMemory } from '../../../lib/publishing/publish-memory';
import { Publisher } from '../../../lib/publishing/publisher';
import { c8yNodes, condition, connectionIdle, publishFlow, tempUserDir } from '../../helpers/c8y-flow';
import { nextMessage, testHelper } from '../../helpers/flow';
import { Mosquitto, Recorder, TcpGate } from '../../helpers/mosquitto';
import { DEFAULT_TOPICS } from '../../../lib/publishing/topics';

const SETTINGS: PublishSettings = {
  measurementType: 'm', eventType: 'e', alarmType: 'mlops_AssetCondition', externalIdPrefix: '',
  select: { measurements: true, event: true, alarm: true, twin: true, originalImage: false, overlayImage: false },
};

describe('hardening: state after a queue overflow, bounded per-asset memory (real mosquitto)', function () {
  this.timeout(40000);
  let broker: Mosquitto;
  let recorder: Recorder;

  before(async () => { broker = await Mosquitto.start(); });
  after(async () => { await broker.dispose(); });
  beforeEach(async () => {
    await broker.restart(); // no retained messages from the test before
    recorder = await Recorder.connect(broker.url, ['te/#']);
  });
  afterEach(async () => { await recorder.close(); });

  describe('in a Node-RED runtime', () => {
    let userDir: string;
    let gate: TcpGate;
    beforeEach(async () => { userDir = tempUserDir(); testHelper.settings({ userDir }); gate = await TcpGate.create(broker.port); });
    afterEach(async () => { await testHelper.unload(); await gate.close(); fs.rmSync(userDir, { recursive: true, force: true }); });

    it('raises the alarm, registers the asset and sends its twin even though drop-oldest dropped them while offline', async () => {
      // 8 KB queue: the CRITICAL inspection fits, the 150 readings after it push it out.
      await testHelper.load(c8yNodes(), publishFlow({ mqttHost: '127.0.0.1', mqttPort: String(gate.port), proxyUrl: 'http://127.0.0.1:9/c8y', queueLimitMb: String(8 / 1024), queuePolicy: 'drop-oldest' }));
      const pub = testHelper.getNode('pub');
      let dropped = 0;
      const first = nextMessage('out');
      pub.receive({ condition: condition('CRITICAL') });
      dropped += (await first).published.dropped;
      for (let n = 0; n < 150; n++) {
        const out = nextMessage('out');
        pub.receive({ assetId: 'tower-17', payload: { reading: n } });
        dropped += (await out).published.dropped;
      }
      assert.ok(dropped > 0, 'the queue overflowed');
      await gate.open();
      await connectionIdle(20000);
      const entity = 'te/device/tower-17//';
      const alarm = recorder.on(`${entity}/a/mlops_AssetCondition`);
      assert.equal(alarm.length, 1, 'the alarm arrived once');
      assert.equal(JSON.parse(alarm[0]!.payload).severity, 'critical');
      assert.equal(recorder.on(`${entity}/twin/mlops_Condition`).length, 1);
      const ofAsset = recorder.messages.filter((m) => m.topic.startsWith('te/device/tower-17/'));
      assert.equal(ofAsset[0]!.topic, entity, `the registration comes before the asset's data: ${ofAsset.slice(0, 3).map((m) => m.topic).join(', ')}`);
      assert.equal(JSON.parse(ofAsset[0]!.payload)['@type'], 'child-device');
      const { state } = (testHelper.getNode('conn') as unknown as { state: { republished: number } });
      assert.ok(state.republished >= 3, `registration, alarm and twin were queued again (republished ${state.republished})`);
      // The memory follows what arrived: the same state again sends no second alarm.
      const again = nextMessage('out');
      pub.receive({ condition: condition('CRITICAL') });
      assert.equal((await again).published.queued, 2, 'measurement and event only');
    });
  });

  it('remembers at most maxAssets assets, counts the evicted ones and announces them again when they return', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-memory-'));
    const publisher = new Publisher({
      transport: 'thin-edge', queueDir: dir, queueMaxBytes: 1 << 22, queuePolicy: 'drop-oldest', fsync: false, maxAssets: 5,
      mqtt: { host: '127.0.0.1', port: broker.port, tls: false, clientId: `memory-${process.pid}`, serviceName: 'memory', reconnectPeriodMs: 100, topics: DEFAULT_TOPICS },
      rest: { baseUrl: 'http://127.0.0.1:9/c8y', timeoutMs: 1000 },
    });
    try {
      const publish = (assetId: string) => publisher.publish(buildPublication({ assetId, condition: condition('CRITICAL', { assetId }) }, SETTINGS), SETTINGS.alarmType);
      for (let n = 0; n < 30; n++) publish(`asset-${n}`);
      assert.equal(publisher.status.evicted, 25);
      assert.equal(publish('asset-29').queued, 2, 'a remembered asset: measurement and event only');
      assert.equal(publish('asset-0').queued, 5, 'a forgotten asset is registered again with its alarm and twin');
      await recorder.waitFor((all) => all.filter((m) => m.topic.endsWith('/a/mlops_AssetCondition')).length === 31, '31 alarms');
    } finally {
      await publisher.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the memory of 50 000 distinct asset ids at its cap', () => {
    const memory = new PublishMemory(1000);
    const publication = (assetId: string) => buildPublication({ assetId, condition: condition('CRITICAL', { assetId }) }, SETTINGS);
    for (let n = 0; n < 50_000; n++) {
      const p = publication(`id-${n}`);
      memory.firstSighting(p.asset.id);
      memory.alarmDecision(p, 'a');
      memory.changedTwin(p);
    }
    assert.equal(memory.size, 1000);
    assert.equal(memory.evicted, 49_000);
  });
});
