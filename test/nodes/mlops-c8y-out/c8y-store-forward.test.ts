import assert from 'node:assert/strict';
import fs from 'node:fs';
import { c8yNodes, connectionIdle, publishFlow, statusMatching, tempUserDir, watchStatus } from '../../helpers/c8y-flow';
import { nextMessage, nextMessages, testHelper } from '../../helpers/flow';
import { Mosquitto, Recorder, TcpGate } from '../../helpers/mosquitto';

const TOPIC = 'te/device/pump-1///m/environment';
const HEALTH = 'te/device/main/service/node-red-mlops/status/health';
const seqs = (recorder: Recorder) => recorder.on(TOPIC).map((m) => JSON.parse(m.payload).seq as number);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('mlops-c8y-out store and forward (real mosquitto, broker outages)', function () {
  let broker: Mosquitto;
  let gate: TcpGate;
  let recorder: Recorder;
  let userDir: string;

  beforeEach(async () => {
    broker = await Mosquitto.start();
    gate = await TcpGate.create(broker.port);
    await gate.open();
    userDir = tempUserDir();
    testHelper.settings({ userDir });
    recorder = await Recorder.connect(broker.url, ['te/#']);
  });
  afterEach(async () => {
    await testHelper.unload();
    await recorder?.close();
    await gate?.close();
    await broker?.dispose();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  const flow = (connection: Record<string, unknown> = {}) =>
    publishFlow({ mqttHost: '127.0.0.1', mqttPort: String(gate.port), ...connection }, { assetId: 'pump-1', measurementType: 'environment' });

  async function send(from: number, to: number): Promise<{ queued: number; dropped: number }[]> {
    const outs = nextMessages('out', to - from);
    for (let seq = from; seq < to; seq++) testHelper.getNode('pub').receive({ payload: { seq, temperature: 20 + seq / 10 } });
    return (await outs).map((m) => m.published);
  }

  /** Broker down: the node's connection is cut and cannot come back until `brokerBack`. */
  async function brokerDown(): Promise<void> {
    await gate.close();
    await broker.stop();
    await recorder.close();
  }

  /** Broker up again; our subscriber subscribes before the node may reconnect, so nothing passes unseen. */
  async function brokerBack(): Promise<void> {
    await broker.start();
    recorder = await Recorder.connect(broker.url, ['te/#']);
    await gate.open();
  }

  it('delivers every message sent while the broker was stopped, in order, once it is back', async () => {
    await testHelper.load(c8yNodes(), flow());
    await send(0, 5);
    await recorder.waitForCount(TOPIC, 5);
    await connectionIdle();
    await brokerDown();
    const queued = statusMatching('pub', /^offline \(broker unreachable\) · queued 10$/);
    await send(5, 15);
    assert.equal((await queued).fill, 'yellow');
    await brokerBack();
    await recorder.waitForCount(TOPIC, 10);
    assert.deepEqual(seqs(recorder), range(5, 15));
    const temperatures = recorder.on(TOPIC).map((m) => JSON.parse(m.payload).temperature);
    assert.deepEqual(temperatures, range(5, 15).map((seq) => 20 + seq / 10));
    await statusMatching('pub', /^sent 17$/); // 15 measurements, the asset registration and its mlops_Flow twin
  });

  it('delivers messages queued before a Node-RED restart during the outage', async () => {
    await testHelper.load(c8yNodes(), flow());
    await send(0, 1);
    await recorder.waitForCount(TOPIC, 1);
    await connectionIdle();
    await brokerDown();
    const queued = statusMatching('pub', /queued 6$/);
    await send(1, 7);
    await queued;
    await testHelper.unload();
    const queueFiles = fs.readdirSync(`${userDir}/mlops-c8y-queue/conn/mqtt`);
    assert.ok(queueFiles.some((f) => f.startsWith('seg-')), 'the queue is on disk under userDir');
    await brokerBack();
    await testHelper.load(c8yNodes(), flow());
    await recorder.waitForCount(TOPIC, 6);
    assert.deepEqual(seqs(recorder), range(1, 7));
  });

  it('reject policy: refuses with an error once the queue is full, reports it, and delivers what was queued', async () => {
    await gate.close();
    await testHelper.load(c8yNodes(), flow({ queueLimitMb: String(600 / 1024 / 1024), queuePolicy: 'reject' }));
    const pub = testHelper.getNode('pub');
    const caught = nextMessage('caught');
    const rejectedShown = statusMatching('pub', /rejected 1/);
    let accepted = 0;
    for (let seq = 0; seq < 10; seq++) {
      const result = Promise.race([nextMessage('out').then(() => true), caught.then(() => false)]);
      pub.receive({ payload: { seq, temperature: 20 } });
      if (!(await result)) break;
      accepted++;
    }
    const error = (await caught).error;
    assert.equal(error.code, 'queue-full');
    assert.match(error.message, /queue is full \(\d+ messages, \d+ of 600 bytes\)/);
    assert.ok(accepted >= 1 && accepted < 10, `accepted ${accepted}`);
    await rejectedShown;
    await gate.open();
    await recorder.waitForCount(TOPIC, accepted);
    assert.deepEqual(seqs(recorder), range(0, accepted));
  });

  it('drop-oldest policy: keeps the newest messages, counts the dropped ones and shows the count', async () => {
    await gate.close();
    await testHelper.load(c8yNodes(), flow({ queueLimitMb: String(600 / 1024 / 1024), queuePolicy: 'drop-oldest' }));
    const status = watchStatus('pub');
    const results = await send(0, 10);
    const dropped = results.reduce((sum, r) => sum + r.dropped, 0);
    assert.ok(dropped >= 3, `the limit was reached (${dropped} dropped)`);
    assert.match(await status.until(new RegExp(`dropped ${dropped}, rejected 0, failed 0$`)), /^(connecting|offline \(broker unreachable\)) · queued \d+/);
    // Queued in order: registration, m0, mlops_Flow twin, m1 … m9; the oldest went first.
    const queuedMeasurements = 12 - dropped;
    await gate.open();
    await recorder.waitForCount(TOPIC, queuedMeasurements);
    assert.deepEqual(seqs(recorder), range(10 - queuedMeasurements, 10), 'the newest survive');
  });

  it('hands the connection over when only the publishing node is redeployed (reference counting)', async () => {
    const first = flow();
    await testHelper.load(c8yNodes(), first);
    await send(0, 1);
    await recorder.waitForCount(TOPIC, 1);
    const changed = first.map((n) => ((n as { id: string }).id === 'pub' ? { ...n, name: 'renamed' } : n));
    await (testHelper as unknown as { setFlows(f: object[], type: string): Promise<void> }).setFlows(changed, 'nodes');
    assert.equal(testHelper.getNode('pub').name, 'renamed');
    await send(1, 3);
    await recorder.waitForCount(TOPIC, 3);
    assert.deepEqual(seqs(recorder), [0, 1, 2]);
  });

  it('publishes the service as down through its last will when the connection is lost', async () => {
    await testHelper.load(c8yNodes(), flow());
    await recorder.waitFor((all) => all.some((m) => m.topic === HEALTH && JSON.parse(m.payload).status === 'up'), 'health up');
    await gate.close();
    await recorder.waitFor((all) => all.some((m) => m.topic === HEALTH && JSON.parse(m.payload).status === 'down'), 'health down (will)');
    const will = recorder.on(HEALTH).at(-1)!;
    assert.deepEqual([JSON.parse(will.payload), will.retain], [{ status: 'down' }, true]);
  });
});
