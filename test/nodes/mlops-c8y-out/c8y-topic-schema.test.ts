// thin-edge's mqtt.topic_root and mqtt.device_topic_id from the connection's settings, end to end through Node-RED
// and a real mosquitto: a device whose thin-edge uses root "plant" and device id device/gw-7//.
import assert from 'node:assert/strict';
import { useBrokerFixture } from '../../helpers/broker-fixture';
import { c8yNodes, condition, publishFlow, segmentation } from '../../helpers/c8y-flow';
import { nextMessage, testHelper } from '../../helpers/flow';

const SERVICE = 'plant/device/gw-7/service/vqi-pipeline';
const ENTITY = 'plant/device/tower-17//';
const json = (text: string) => JSON.parse(text);

describe('mlops-c8y with a topic root and device topic id of its own (real mosquitto)', function () {
  const fixture = useBrokerFixture({ topics: ['#'], proxy: true });
  const load = (connection: Record<string, unknown>) => testHelper.load(c8yNodes(), publishFlow({
    mqttHost: '127.0.0.1', mqttPort: String(fixture.broker.port), proxyUrl: fixture.proxy.url, serviceName: 'vqi-pipeline', ...connection,
  }, { sendOverlay: false }));

  describe('publishing one inspection', () => {
    beforeEach(async () => {
      await load({ topicRoot: 'plant', deviceTopicId: 'device/gw-7//' });
      testHelper.getNode('pub').receive({ condition: condition('CRITICAL'), segmentation: segmentation() });
      await nextMessage('out');
      await fixture.recorder.waitForCount(`${ENTITY}/twin/mlops_Flow`, 1);
    });

    it('registers the service under the configured device and root', async () => {
      await fixture.recorder.waitForCount(`${SERVICE}/status/health`, 1);
      assert.deepEqual(json(fixture.recorder.on(SERVICE)[0]!.payload), { '@type': 'service', displayName: 'vqi-pipeline', type: 'node-red' });
      assert.equal(json(fixture.recorder.on(`${SERVICE}/status/health`)[0]!.payload).status, 'up');
    });

    it('registers the asset as a child of the configured device', () => {
      assert.deepEqual(json(fixture.recorder.on(ENTITY)[0]!.payload),
        { '@type': 'child-device', '@id': 'tower-17', displayName: 'tower-17', type: 'lattice_tower', '@parent': 'device/gw-7//' });
    });

    it('publishes measurement, event, alarm and twin under the configured root', () => {
      for (const channel of ['m/mlops_Inspection', 'e/mlops_Inspection', 'a/mlops_AssetCondition', 'twin/mlops_Condition']) {
        assert.equal(fixture.recorder.on(`${ENTITY}/${channel}`).length, 1, channel);
      }
    });

    it('publishes nothing outside the configured root', () => {
      assert.deepEqual(fixture.recorder.messages.map((m) => m.topic).filter((t) => !t.startsWith('plant/')), []);
    });

    it('reports the service down on the configured health topic when stopped', async () => {
      await testHelper.unload();
      await fixture.recorder.waitFor((all) => all.some((m) => m.topic === `${SERVICE}/status/health` && json(m.payload).status === 'down'), 'health down');
    });
  });

  it('reads the root and device id from TEDGE_MQTT_TOPIC_ROOT / TEDGE_MQTT_DEVICE_TOPIC_ID when the fields are empty', async () => {
    process.env.TEDGE_MQTT_TOPIC_ROOT = 'plant';
    process.env.TEDGE_MQTT_DEVICE_TOPIC_ID = 'device/gw-7';
    try {
      await load({});
      await fixture.recorder.waitForCount(`${SERVICE}/status/health`, 1);
    } finally {
      delete process.env.TEDGE_MQTT_TOPIC_ROOT;
      delete process.env.TEDGE_MQTT_DEVICE_TOPIC_ID;
    }
  });

  it('refuses an asset id that names the configured device, and publishes the next message', async () => {
    await load({ topicRoot: 'plant', deviceTopicId: 'device/gw-7//' });
    const pub = testHelper.getNode('pub');
    const caught = nextMessage('caught');
    pub.receive({ assetId: 'gw-7', payload: { temperature: 20 } });
    const { error } = await caught;
    assert.equal(error.code, 'reserved-asset-id');
    assert.match(error.message, /asset id "gw-7" names this device itself/i);
    pub.receive({ assetId: 'pump-1', payload: { temperature: 20 } });
    await fixture.recorder.waitForCount('plant/device/pump-1///m/mlops_Inspection', 1);
  });

  it('fails each message with bad-setting naming topicRoot when the root is not one topic level', async () => {
    await load({ topicRoot: 'plant/x' });
    const caught = nextMessage('caught');
    testHelper.getNode('pub').receive({ assetId: 'pump-1', payload: { temperature: 20 } });
    const { error } = await caught;
    assert.equal(error.code, 'bad-setting');
    assert.match(error.message, /^Error: Expected one MQTT topic level such as te .* for topicRoot but received 'plant\/x' of type string$/);
  });
});
