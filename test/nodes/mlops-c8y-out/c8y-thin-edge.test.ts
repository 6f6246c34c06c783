import assert from 'node:assert/strict';
import { useBrokerFixture } from '../../helpers/broker-fixture';
import { c8yNodes, condition, publishFlow, segmentation, statusMatching, watchStatus } from '../../helpers/c8y-flow';
import { nextMessage, testHelper } from '../../helpers/flow';
import { Recorder } from '../../helpers/mosquitto';

const ENTITY = 'te/device/tower-17//';
const json = (text: string) => JSON.parse(text);

describe('mlops-c8y-out over thin-edge (real mosquitto)', function () {
  const fixture = useBrokerFixture({ proxy: true });

  const load = (out: Record<string, unknown> = {}, connection: Record<string, unknown> = {}) =>
    testHelper.load(c8yNodes(), publishFlow({ mqttHost: '127.0.0.1', mqttPort: String(fixture.broker.port), proxyUrl: fixture.proxy.url, serviceName: 'vqi-pipeline', ...connection }, out));

  describe('one inspection, per the te/ schema', () => {
    let out: { published: unknown };
    let statuses: ReturnType<typeof watchStatus>;
    beforeEach(async () => {
      await load({ sendOverlay: false, modelName: 'tower-seg', modelVersion: '3' });
      // Recorded from before the message: "sent 8" may show before the recorder has the last message.
      statuses = watchStatus('pub');
      testHelper.getNode('pub').receive({ condition: condition('CRITICAL'), segmentation: segmentation(), timings: { infer: 41.5, segment: 3.25 } });
      out = await nextMessage('out');
      await fixture.recorder.waitForCount(`${ENTITY}/twin/mlops_Flow`, 1);
    });
    const recorded = (topic: string) => fixture.recorder.on(topic);
    const measurement = () => json(recorded(`${ENTITY}/m/mlops_Inspection`)[0]!.payload);

    it('registers the pipeline as a thin-edge service', () => {
      assert.deepEqual(json(recorded('te/device/main/service/vqi-pipeline')[0]!.payload), { '@type': 'service', displayName: 'vqi-pipeline', type: 'node-red' });
    });

    it('reports the service up with its pid and time', () => {
      const health = json(recorded('te/device/main/service/vqi-pipeline/status/health')[0]!.payload);
      assert.deepEqual([health.status, health.pid, typeof health.time], ['up', process.pid, 'number']);
    });

    it('says on msg.published what it queued', () => {
      assert.deepEqual(out.published, { assetId: 'tower-17', queued: 8, dropped: 0 });
    });

    it('registers the asset as a retained child device', () => {
      const registration = recorded(ENTITY)[0]!;
      assert.equal(registration.retain, true);
      assert.deepEqual(json(registration.payload), { '@type': 'child-device', '@id': 'tower-17', displayName: 'tower-17', type: 'lattice_tower' });
    });

    it('announces the units on the retained meta topic', () => {
      const meta = recorded(`${ENTITY}/m/mlops_Inspection/meta`)[0]!;
      assert.equal(meta.retain, true);
      assert.deepEqual(json(meta.payload), { 'timing.infer': { unit: 'ms' }, 'timing.segment': { unit: 'ms' } });
    });

    it('publishes the measurement with the condition, quality, ratios, components and timings', () => {
      assert.ok(!Number.isNaN(Date.parse(measurement().time)));
      assert.deepEqual({ ...measurement(), time: undefined }, {
        time: undefined,
        condition: { score: 0.72, state: 2 },
        quality: { sharpness: 412.5, brightness: 118 },
        class_ratio: { background: 0.5, tower: 0.25, rust: 0.25 },
        components: { tower: 1, rust: 1 },
        timing: { infer: 41.5, segment: 3.25 },
      });
    });

    it('keeps the measurement thin-edge JSON: numbers only, one level deep', () => {
      for (const [key, value] of Object.entries(measurement())) {
        if (key === 'time') continue;
        const values = typeof value === 'number' ? [value] : Object.values(value as object);
        assert.ok(values.every((v) => typeof v === 'number'), `${key} holds numbers only, one level deep`);
      }
    });

    it('publishes the inspection event, not retained, with text, time and fragments', () => {
      const event = recorded(`${ENTITY}/e/mlops_Inspection`)[0]!;
      assert.equal(event.retain, false);
      const body = json(event.payload);
      assert.equal(body.text, 'Inspection of tower-17 (lattice_tower) is CRITICAL, score 0.72: rust ratio 0.31 > 0.2');
      assert.equal(body.time, measurement().time);
      assert.equal(body.mlops_Condition.state, 'CRITICAL');
      assert.deepEqual(body.mlops_Condition.reasons, ['rust ratio 0.31 > 0.2']);
      assert.equal(body.mlops_Segmentation.components.length, 2);
      assert.deepEqual(body.mlops_Timings, { infer: 41.5, segment: 3.25 });
      assert.deepEqual(body.mlops_Model, { name: 'tower-seg', version: '3' });
      assert.deepEqual(body.mlops_Flow, { name: 'tower-inspection', version: '1.4.2' });
    });

    it('raises the alarm, retained, with a lower-case severity', () => {
      const alarm = recorded(`${ENTITY}/a/mlops_AssetCondition`)[0]!;
      assert.equal(alarm.retain, true);
      const body = json(alarm.payload);
      assert.equal(body.severity, 'critical');
      assert.equal(body.text, 'tower-17 (lattice_tower) is CRITICAL, score 0.72: rust ratio 0.31 > 0.2');
      assert.equal(body.time, measurement().time);
    });

    it('publishes the condition, model and flow as retained twin fragments', () => {
      const twin = (fragment: string) => recorded(`${ENTITY}/twin/${fragment}`)[0]!;
      assert.ok(twin('mlops_Condition').retain);
      assert.deepEqual({ ...json(twin('mlops_Condition').payload), time: undefined },
        { state: 'CRITICAL', severity: 'CRITICAL', reasons: ['rust ratio 0.31 > 0.2'], score: 0.72, time: undefined });
      assert.deepEqual(json(twin('mlops_Model').payload), { name: 'tower-seg', version: '3' });
      assert.deepEqual(json(twin('mlops_Flow').payload), { name: 'tower-inspection', version: '1.4.2' });
    });

    it('shows the records sent in its status', async () => {
      await statuses.until(/sent 8/);
    });
  });

  it('raises the alarm once while the state lasts and clears it with an empty retained message when healthy again', async () => {
    await load({ sendEvent: false, sendMeasurements: false, sendTwin: false });
    const alarmTopic = `${ENTITY}/a/mlops_AssetCondition`;
    const pub = testHelper.getNode('pub');
    pub.receive({ condition: condition('CRITICAL') });
    pub.receive({ condition: condition('CRITICAL', { score: 0.8 }) });
    pub.receive({ condition: condition('OK') });
    await fixture.recorder.waitForCount(alarmTopic, 2);
    pub.receive({ condition: condition('OK') });
    pub.receive({ condition: condition('WARNING') });
    await fixture.recorder.waitForCount(alarmTopic, 3);
    const alarms = fixture.recorder.on(alarmTopic);
    assert.deepEqual(alarms.map((a) => [a.payload === '' ? 'clear' : json(a.payload).severity, a.retain]),
      [['critical', true], ['clear', true], ['major', true]]);
    // A fresh subscriber sees the retained state: the current alarm.
    const late = await Recorder.connect(fixture.broker.url, [alarmTopic]);
    await late.waitForCount(alarmTopic, 1);
    assert.equal(json(late.on(alarmTopic)[0]!.payload).severity, 'major');
    await late.close();
  });

  it('publishes plain sensor data as a measurement with units on its meta topic', async () => {
    await load({ assetId: 'pump-3', measurementType: 'environment' });
    const pub = testHelper.getNode('pub');
    pub.receive({ payload: { temperature: 21.5, current: { L1: 9.5, L2: 10 } }, units: { temperature: '°C', 'current.L1': 'A' } });
    pub.receive({ payload: { temperature: 22 }, units: { temperature: '°C', 'current.L1': 'A' } });
    await fixture.recorder.waitForCount('te/device/pump-3///m/environment', 2);
    const values = fixture.recorder.on('te/device/pump-3///m/environment').map((m) => ({ ...json(m.payload), time: undefined }));
    assert.deepEqual(values, [
      { time: undefined, temperature: 21.5, current: { L1: 9.5, L2: 10 } },
      { time: undefined, temperature: 22 },
    ]);
    assert.deepEqual(fixture.recorder.on('te/device/pump-3///m/environment/meta').map((m) => json(m.payload)),
      [{ temperature: { unit: '°C' }, 'current.L1': { unit: 'A' } }], 'units are announced once');
    assert.equal(fixture.recorder.on('te/device/pump-3///e/mlops_Inspection').length, 0, 'plain data raises no inspection event');
  });

  it('keeps events under thin-edge\'s MQTT size limit, summarising big fragments and saying so', async () => {
    await load({ sendOverlay: false });
    const seg = segmentation();
    seg.components = Array.from({ length: 2000 }, (_, i) => ({ classIndex: 2, label: 'rust', area: i, bbox: [i, i, 3, 3] as [number, number, number, number] }));
    testHelper.getNode('pub').receive({ condition: condition('WARNING'), segmentation: seg });
    await fixture.recorder.waitForCount(`${ENTITY}/e/mlops_Inspection`, 1);
    const event = fixture.recorder.on(`${ENTITY}/e/mlops_Inspection`)[0]!;
    assert.ok(Buffer.byteLength(event.payload) <= 15 * 1024, `event is ${Buffer.byteLength(event.payload)} bytes`);
    const body = json(event.payload);
    assert.deepEqual(body.mlops_Truncated, { fragments: ['mlops_Segmentation'], limitBytes: 15360 });
    assert.equal(body.mlops_Segmentation.truncated, true);
    assert.equal(body.mlops_Segmentation.componentsCount, 2000);
    assert.match(body.text, /fragments summarised to fit 15360 bytes: mlops_Segmentation/);
    assert.equal(body.mlops_Condition.state, 'WARNING', 'small fragments are kept');
  });

  it('sends an event with images through the local Cumulocity proxy as an event with binaries', async () => {
    const deviceId = fixture.proxy.addDevice('tower-17', 'tower-17');
    await load({ sendOriginal: true, sendOverlay: true });
    const overlay = Buffer.from('\x89PNG overlay bytes');
    const original = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    testHelper.getNode('pub').receive({ condition: condition('CRITICAL'), segmentation: segmentation(overlay), image: { encoded: original, format: 'jpeg' } });
    await fixture.proxy.waitFor(() => fixture.proxy.binaries.length === 2, 'two binaries');
    assert.equal(fixture.recorder.on(`${ENTITY}/e/mlops_Inspection`).length, 0, 'the event did not go over MQTT');
    const [main, companion] = fixture.proxy.events;
    assert.equal(main.source.id, deviceId);
    assert.equal(main.type, 'mlops_Inspection');
    assert.equal(main.mlops_Condition.state, 'CRITICAL');
    assert.equal(companion.type, 'mlops_Inspection_original');
    assert.deepEqual(companion.mlops_InspectionEvent, { id: main.id });
    const [first, second] = fixture.proxy.binaries;
    assert.deepEqual([first!.eventId, first!.type, first!.data], [main.id, 'image/png', overlay]);
    assert.deepEqual([second!.eventId, second!.type, second!.data], [companion.id, 'image/jpeg', original]);
    assert.deepEqual(first!.partNames, ['object', 'file']);
    assert.match(first!.name, /^tower-17-.*-overlay\.png$/);
    const lookups = fixture.proxy.requests.filter((r) => r.path === '/identity/externalIds/c8y_Serial/tower-17');
    assert.equal(lookups.length, 1, 'the device id is looked up once and cached');
    assert.ok(fixture.proxy.requests.every((r) => r.headers.authorization === undefined), 'no credentials are sent to the proxy');
  });

  it('fails bad messages to the Catch node with a red status, then publishes the next good one', async () => {
    await load({ measurementType: 'environment' });
    const pub = testHelper.getNode('pub');
    const bad: [object, RegExp][] = [
      [{ payload: { temperature: 20 } }, /no asset id/],
      [{ assetId: 'a/b', payload: { t: 1 } }, /"a\/b" cannot be used in an MQTT topic: it contains a topic separator/],
      [{ assetId: 'pump-1', payload: { deep: { nested: { x: 1 } } } }, /"deep\.nested" must be a finite number/],
      [{ assetId: 'pump-1', payload: { temperature: 'hot' } }, /"temperature" must be a finite number/],
      [{ assetId: 'pump-1', payload: 'text' }, /msg\.payload must be an object of numbers/],
    ];
    const red = statusMatching('pub', /must be an object of numbers/);
    for (const [msg, message] of bad) {
      const caught = nextMessage('caught');
      pub.receive(msg);
      assert.match((await caught).error.message, message);
    }
    assert.equal((await red).fill, 'red');
    pub.receive({ assetId: 'pump-1', payload: { temperature: 20 } });
    await fixture.recorder.waitForCount('te/device/pump-1///m/environment', 1);
  });

  it('refuses a hand-made msg.condition or msg.segmentation with the field that is wrong, then publishes the next good one', async () => {
    await load();
    const pub = testHelper.getNode('pub');
    const bad: [object, RegExp][] = [
      [{ assetId: 'tower-17', condition: { state: 'OK' } }, /^Error: msg\.condition\.score is undefined of type undefined; expected a number from 0 to 1: a condition is/],
      [{ assetId: 'tower-17', condition: { ...condition('OK'), state: 'FINE' } }, /^Error: msg\.condition\.state is 'FINE' of type string; expected one of OK, WARNING, CRITICAL, RETAKE/],
      [{ assetId: 'tower-17', condition: { ...condition('OK'), reasons: 'rusty' } }, /^Error: msg\.condition\.reasons is 'rusty' of type string; expected a list of texts/],
      [{ assetId: 'tower-17', condition: 'OK' }, /^Error: msg\.condition is 'OK' of type string, not an object/],
      [{ assetId: 'tower-17', segmentation: { classes: [{ label: 'rust' }] } }, /^Error: msg\.segmentation is not a segmentation result/],
    ];
    for (const [msg, message] of bad) {
      const caught = nextMessage('caught');
      pub.receive(msg);
      const { error } = await caught;
      assert.match(error.message, message);
      assert.ok(['bad-condition', 'bad-segmentation'].includes(error.code), error.code);
    }
    pub.receive({ condition: condition('WARNING'), segmentation: segmentation() });
    await fixture.recorder.waitForCount(`${ENTITY}/e/mlops_Inspection`, 1);
  });

  it('reports the service down on a clean stop', async () => {
    await load();
    const health = 'te/device/main/service/vqi-pipeline/status/health';
    await fixture.recorder.waitForCount(health, 1);
    await testHelper.unload();
    await fixture.recorder.waitFor((all) => all.filter((m) => m.topic === health).some((m) => json(m.payload).status === 'down'), 'health down');
    assert.equal(fixture.recorder.on(health).at(-1)!.retain, true);
  });
});
