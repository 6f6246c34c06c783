import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { c8yNodes, tempUserDir } from '../helpers/c8y-flow';
import { repoRoot, testHelper } from '../helpers/flow';
import { Mosquitto, Recorder } from '../helpers/mosquitto';

const coreNode = (file: string) => require(path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core', file));

describe('example: examples/tedge-telemetry.json', function () {
  const example = JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', 'tedge-telemetry.json'), 'utf8')) as Record<string, any>[];
  let broker: Mosquitto;
  let userDir: string;

  before(async () => { broker = await Mosquitto.start(); });
  after(async () => {
    await testHelper.unload();
    await broker?.dispose();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('holds no credentials and explains itself in a comment node', () => {
    const connection = example.find((n) => n.type === 'mlops-c8y')!;
    assert.equal(connection.transport, 'thin-edge');
    assert.equal(connection.credentials, undefined);
    assert.ok(!/password|token"\s*:\s*"[^"]/i.test(JSON.stringify(example)));
    assert.ok(example.some((n) => n.type === 'comment' && /te\/device\/pump-3\/\/\/m\/environment/.test(n.info)));
  });

  it('publishes the function\'s sensor data the thin-edge way', async () => {
    userDir = tempUserDir();
    testHelper.settings({ userDir });
    const flow = example.map((n) => (n.type === 'mlops-c8y' ? { ...n, mqttHost: '127.0.0.1', mqttPort: String(broker.port) } : n.type === 'inject' ? { ...n, once: false, repeat: '' } : n));
    const recorder = await Recorder.connect(broker.url, ['te/device/pump-3/#']);
    await testHelper.load([...c8yNodes(), coreNode('common/20-inject.js'), coreNode('function/10-function.js'), coreNode('common/90-comment.js')], flow);
    testHelper.getNode(flow.find((n) => n.type === 'inject')!.id).receive({});
    await recorder.waitForCount('te/device/pump-3///m/environment', 1);
    const reading = JSON.parse(recorder.on('te/device/pump-3///m/environment')[0]!.payload);
    assert.equal(typeof reading.temperature, 'number');
    assert.deepEqual(reading.current, { L1: 9.5, L2: 10.1, L3: 9.8 });
    assert.equal(JSON.parse(recorder.on('te/device/pump-3//')[0]!.payload)['@type'], 'child-device');
    assert.deepEqual(JSON.parse(recorder.on('te/device/pump-3///m/environment/meta')[0]!.payload).temperature, { unit: '°C' });
    await recorder.close();
  });
});
