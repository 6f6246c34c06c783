// The predictive-maintenance example as a user imports it, on a fresh Node-RED with only this package and a real
// mosquitto standing in for thin-edge's broker: the replayed failing truck raises a critical alarm, both trucks'
// prediction measurements arrive as te/ data, the healthy truck raises none, and the model answers on the V2 API.
import assert from 'node:assert/strict';
import path from 'node:path';
import { APS_FEATURES, generateAps } from '../../lib/aps';
import { repoRoot } from '../helpers/flow';
import { useBrokerFixture } from '../helpers/broker-fixture';
import { startRuntimeProcess, type RuntimeProcess } from '../helpers/runtime-process';

describe('predictive-maintenance example flow', function () {
  this.timeout(60000);
  const fixture = useBrokerFixture({ scope: 'block', topics: ['te/#'] });
  let runtime: RuntimeProcess;

  before(async () => {
    runtime = await startRuntimeProcess(path.join(repoRoot, 'examples', 'predictive-maintenance.json'), {
      TEDGE_MQTT_HOST: '127.0.0.1', TEDGE_MQTT_PORT: String(fixture.broker.port),
    });
  });
  after(async () => {
    await runtime?.stop();
  });

  it('publishes prediction measurements per truck and a critical alarm for the failing one', async () => {
    const alarmTopic = 'te/device/truck-12///a/mlops_AssetCondition';
    await fixture.recorder.waitFor((all) => all.some((m) => m.topic === alarmTopic && m.payload !== ''), `an alarm on ${alarmTopic}`, 40000);
    const alarm = JSON.parse(fixture.recorder.on(alarmTopic).at(-1)!.payload) as { severity: string; text: string };
    assert.equal(alarm.severity, 'critical');
    assert.match(alarm.text, /truck-12/);
    assert.match(alarm.text, /failure = (1|0\.9\d*) > 0\.8 → CRITICAL/);
    await fixture.recorder.waitFor((all) => all.some((m) => m.topic === 'te/device/truck-07///m/mlops_Prediction'), 'a measurement of truck-07', 20000);
    const healthy = JSON.parse(fixture.recorder.on('te/device/truck-07///m/mlops_Prediction').at(-1)!.payload);
    assert.equal(healthy.condition.state, 0);
    assert.ok(healthy.class_ratio.failure < 0.3, JSON.stringify(healthy));
    const failing = fixture.recorder.on('te/device/truck-12///m/mlops_Prediction').map((m) => JSON.parse(m.payload));
    assert.ok(failing.some((m) => m.condition.state === 2 && m.class_ratio.failure > 0.8), JSON.stringify(failing));
    assert.equal(JSON.parse(fixture.recorder.on('te/device/truck-12//')[0]!.payload)['@type'], 'child-device');
    assert.deepEqual(fixture.recorder.on('te/device/truck-07///a/mlops_AssetCondition').filter((m) => m.payload !== ''), []);
  });

  it('answers POST /pm/predict through the http in → function → infer → classify path, and a bad body with 400', async () => {
    const test = generateAps('test', 14, 400);
    const failing = test.labels.indexOf(1);
    const features: Record<string, number> = {};
    APS_FEATURES.forEach((name, i) => { const v = test.features[failing * 171 + i]!; if (!Number.isNaN(v)) features[name] = v; });
    const res = await fetch(`${runtime.url}/pm/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features }) });
    assert.equal(res.status, 200);
    const prediction = await res.json() as { label: string; scores: Record<string, number> };
    assert.equal(prediction.label, 'failure');
    assert.deepEqual(Object.keys(prediction.scores), ['normal', 'failure']);
    const bad = await fetch(`${runtime.url}/pm/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: { speed: 3 } }) });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /unknown features speed/);
  });

  it('serves the same model as aps-demo on the V2 inference API', async () => {
    const meta = await (await fetch(`${runtime.url}/v2/models/aps-demo`)).json() as { inputs: { shape: number[] }[] };
    assert.deepEqual(meta.inputs[0]!.shape, [-1, 171]);
    const res = await fetch(`${runtime.url}/v2/models/aps-demo/infer`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 171], datatype: 'FP32', data: new Array(171).fill(null) }] }),
    });
    assert.equal(res.status, 200);
    const body = await res.json() as { outputs: { name: string; shape: number[] }[] };
    assert.deepEqual(body.outputs.map((o) => [o.name, o.shape]), [['logits', [1, 2]]]);
  });
});
