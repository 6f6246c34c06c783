import assert from 'node:assert/strict';
import * as c8y from '../../../lib/publishing/cumulocity-rest';
import { buildPublication, customMeasurements, PublishMemory, seriesKey, type PublishSettings } from '../../../lib/publishing/inspection';
import { publisherOptions } from '../../../lib/publishing/settings';
import * as te from '../../../lib/publishing/thin-edge';
import { childOfTopic, DEFAULT_TOPICS, topicFor } from '../../../lib/publishing/topics';
import { parseMultipart } from '../../fixtures/c8y-server';
import { condition } from '../../helpers/c8y-flow';

const SETTINGS: PublishSettings = {
  measurementType: 'mlops_Inspection', eventType: 'mlops_Inspection', alarmType: 'mlops_AssetCondition', externalIdPrefix: '',
  select: { measurements: true, event: true, alarm: true, twin: true, originalImage: false, overlayImage: true },
};

describe('publishing: thin-edge topics and payloads', () => {
  it('puts the model of the result (msg.model from a store model: name, version, sha256) into the twin', () => {
    const sha256 = 'ab'.repeat(32);
    const publication = buildPublication({ assetId: 'tower-17', condition: condition('OK'), model: { name: 'insulator', version: '2.0', sha256 } }, SETTINGS);
    assert.deepEqual(publication.twin.mlops_Model, { name: 'insulator', version: '2.0', sha256 });
    const plain = buildPublication({ assetId: 'tower-17', condition: condition('OK'), model: { name: 'insulator', version: '2.0' } }, SETTINGS);
    assert.deepEqual(plain.twin.mlops_Model, { name: 'insulator', version: '2.0' });
  });

  it('builds te/ topics for child devices, services and their channels', () => {
    const asset = { kind: 'child', name: 'tower-17' } as const;
    assert.equal(topicFor(DEFAULT_TOPICS, asset, { kind: 'registration' }), 'te/device/tower-17//');
    assert.equal(topicFor(DEFAULT_TOPICS, asset, { kind: 'measurement', type: 'env' }), 'te/device/tower-17///m/env');
    assert.equal(topicFor(DEFAULT_TOPICS, asset, { kind: 'event', type: 'insp' }), 'te/device/tower-17///e/insp');
    assert.equal(topicFor(DEFAULT_TOPICS, asset, { kind: 'alarm', type: 'cond' }), 'te/device/tower-17///a/cond');
    assert.equal(topicFor(DEFAULT_TOPICS, asset, { kind: 'twin', fragment: 'mlops_Model' }), 'te/device/tower-17///twin/mlops_Model');
    assert.equal(topicFor(DEFAULT_TOPICS, { kind: 'service', name: 'vqi' }, { kind: 'health' }), 'te/device/main/service/vqi/status/health');
  });

  it('refuses ids that would break the topic structure', () => {
    for (const bad of ['', 'a/b', 'a+', '#', 'x\u0000']) {
      assert.throws(() => topicFor(DEFAULT_TOPICS, { kind: 'child', name: bad }, { kind: 'registration' }), (err: Error & { code?: string }) => err.code === 'invalid-topic-segment');
    }
    assert.throws(() => topicFor(DEFAULT_TOPICS, { kind: 'child', name: 'ok' }, { kind: 'measurement', type: 'm/x' }), /measurement type "m\/x" cannot be used/);
  });

  it('clears an alarm with an empty retained message and raises it with a lower-case severity', () => {
    assert.deepEqual(te.alarmMessage(DEFAULT_TOPICS, 'a', { action: 'clear', type: 't' }, 'now'), { topic: 'te/device/a///a/t', payload: '', retain: true });
    const raised = te.alarmMessage(DEFAULT_TOPICS, 'a', { action: 'raise', type: 't', severity: 'MAJOR', text: 'x', fragments: {} }, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(JSON.parse(raised.payload), { severity: 'major', text: 'x', time: '2026-01-01T00:00:00.000Z' });
    assert.equal(raised.retain, true);
  });

  it('leaves a small event alone and fits a big one under the limit, saying what was summarised', () => {
    const small = te.fitEvent({ type: 'e', text: 'hello', fragments: { a: { b: 1 } } }, 'T', 1000);
    assert.deepEqual(small, { payload: { text: 'hello', time: 'T', a: { b: 1 } }, truncated: [] });
    const big = te.fitEvent({ type: 'e', text: 'inspection', fragments: { keep: { n: 1 }, list: Array.from({ length: 500 }, (_, i) => i) } }, 'T', 600);
    assert.deepEqual(big.truncated, ['list']);
    assert.deepEqual(big.payload.list, { truncated: true, bytes: JSON.stringify(Array.from({ length: 500 }, (_, i) => i)).length, items: 500 });
    assert.deepEqual(big.payload.keep, { n: 1 });
    assert.ok(Buffer.byteLength(JSON.stringify(big.payload)) <= 600);
    const longText = te.fitEvent({ type: 'e', text: 'é'.repeat(5000), fragments: {} }, 'T', 800);
    assert.ok(Buffer.byteLength(JSON.stringify(longText.payload)) <= 800);
    assert.match(String(longText.payload.text), /… \[text shortened\]$/);
  });
});

describe('publishing: measurements from pipeline data and custom payloads', () => {
  it('accepts numbers and one level of groups, and says exactly what is wrong otherwise', () => {
    assert.deepEqual(customMeasurements({ t: 1.5, current: { L1: 2 }, time: 'ignored' }), { t: 1.5, current: { L1: 2 } });
    assert.throws(() => customMeasurements([1]), /must be an object of numbers/);
    assert.throws(() => customMeasurements({ a: { b: { c: 1 } } }), /"a\.b" must be a finite number/);
    assert.throws(() => customMeasurements({ a: NaN }), /"a" must be a finite number/);
    assert.throws(() => customMeasurements({ _a: 1 }), /"_a" is not allowed/);
    assert.throws(() => customMeasurements({ type: 1 }), /"type" is not allowed/);
  });

  it('makes class labels valid series names', () => {
    assert.deepEqual(['cable-damage', '_x', 'time', 'a b'].map(seriesKey), ['cable_damage', 'x', 'time_', 'a_b']);
  });

  it('maps a condition to a measurement, an event, an alarm request and twin fragments', () => {
    const publication = buildPublication({ assetId: 'tower-17', condition: condition('WARNING'), timings: { infer: 10 }, time: new Date('2026-01-02T03:04:05Z') }, SETTINGS);
    assert.deepEqual(publication.measurement, {
      type: 'mlops_Inspection',
      values: { condition: { score: 0.72, state: 1 }, quality: { sharpness: 412.5, brightness: 118 }, class_ratio: { rust: 0.31, cable_damage: 0.02 }, timing: { infer: 10 } },
      units: { 'timing.infer': 'ms' },
    });
    assert.equal(publication.alarmSeverity, 'MAJOR');
    assert.equal(publication.time, '2026-01-02T03:04:05.000Z');
    assert.deepEqual(Object.keys(publication.twin), ['mlops_Condition']);
  });

  it('raises alarms on a change of severity and clears once, even right after a restart', () => {
    const memory = new PublishMemory();
    const decide = (state: 'OK' | 'WARNING' | 'CRITICAL') =>
      memory.alarmDecision(buildPublication({ assetId: 'a', condition: condition(state) }, SETTINGS), 't')?.action ?? 'none';
    assert.deepEqual(['OK', 'OK', 'CRITICAL', 'CRITICAL', 'WARNING', 'OK', 'OK'].map((s) => decide(s as 'OK')),
      ['clear', 'none', 'raise', 'none', 'raise', 'clear', 'none']);
  });
});

describe('publishing: Cumulocity REST requests', () => {
  it('maps thin-edge JSON values to Cumulocity measurement fragments with units', () => {
    const request = c8y.createMeasurement('42', { type: 'env', values: { temperature: 21, current: { L1: 9.5 } }, units: { temperature: '°C', 'current.L1': 'A' } }, 'T');
    assert.equal(request.headers['Content-Type'], 'application/vnd.com.nsn.cumulocity.measurement+json');
    assert.deepEqual(JSON.parse(String(request.body)), {
      source: { id: '42' }, type: 'env', time: 'T',
      temperature: { temperature: { value: 21, unit: '°C' } }, current: { L1: { value: 9.5, unit: 'A' } },
    });
  });

  it('attaches a binary as multipart/form-data with "object" and "file" parts', () => {
    const data = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]);
    const request = c8y.attachEventBinary('7', { name: 'a.png', contentType: 'image/png', data });
    assert.equal(request.path, '/event/events/7/binaries');
    const parts = parseMultipart(request.body as Buffer, request.headers['Content-Type']!);
    assert.deepEqual([...parts.keys()], ['object', 'file']);
    assert.deepEqual(JSON.parse(parts.get('object')!.data.toString()), { name: 'a.png', type: 'image/png' });
    assert.deepEqual(parts.get('file')!.data, data);
    assert.match(parts.get('file')!.headers, /filename="a\.png"[\s\S]*Content-Type: image\/png/);
  });

  it('finds devices by external id and clears alarms one by one', () => {
    assert.equal(c8y.getExternalId('vqi tower/1').path, '/identity/externalIds/c8y_Serial/vqi%20tower%2F1');
    assert.deepEqual(JSON.parse(String(c8y.createExternalId('9', 'x').body)), { type: 'c8y_Serial', externalId: 'x' });
    assert.deepEqual(JSON.parse(String(c8y.createDevice('n', 't').body)), { name: 'n', type: 't', c8y_IsDevice: {} });
    assert.deepEqual(c8y.listActiveAlarms('9', 'cond').query, { source: '9', type: 'cond', status: 'ACTIVE', pageSize: '100' });
    assert.deepEqual(JSON.parse(String(c8y.clearAlarm('5').body)), { status: 'CLEARED' });
  });
});

describe('publishing: connection settings', () => {
  it('defaults to thin-edge\'s local broker from TEDGE_MQTT_HOST/PORT, and the local proxy', () => {
    const options = publisherOptions({}, {}, { TEDGE_MQTT_HOST: '10.0.0.5', TEDGE_MQTT_PORT: '8883' }, 'id');
    assert.deepEqual([options.mqtt!.host, options.mqtt!.port, options.rest.baseUrl, options.queuePolicy], ['10.0.0.5', 8883, 'http://127.0.0.1:8001/c8y', 'drop-oldest']);
    assert.equal(publisherOptions({}, {}, {}, 'id').mqtt!.host, '127.0.0.1');
    assert.equal(publisherOptions({}, {}, {}, 'id').mqtt!.port, 1883);
    assert.equal(publisherOptions({}, {}, { TEDGE_C8Y_PROXY_URL: 'http://host.containers.internal:8001/c8y/' }, 'id').rest.baseUrl, 'http://host.containers.internal:8001/c8y');
    assert.equal(publisherOptions({ proxyUrl: 'http://10.0.0.5:8001/c8y' }, {}, { TEDGE_C8Y_PROXY_URL: 'http://elsewhere/c8y' }, 'id').rest.baseUrl, 'http://10.0.0.5:8001/c8y');
  });

  it('refuses a cumulocity transport without credentials', () => {
    assert.throws(() => publisherOptions({ transport: 'cumulocity', tenantUrl: 'https://t.example.com' }, {}, {}, 'id'), /needs a user and password/);
  });

  it('refuses a tenant URL without a scheme, naming the setting', () => {
    assert.throws(() => publisherOptions({ transport: 'cumulocity', tenantUrl: 't.example.com' }, { token: 'x' }, {}, 'id'),
      { code: 'bad-setting', message: "Expected a tenant URL that starts with https:// or http:// (e.g. https://example.cumulocity.com) for tenantUrl but received 't.example.com' of type string" });
  });

  it('refuses an unknown queue policy, listing the allowed ones', () => {
    assert.throws(() => publisherOptions({ queuePolicy: 'keep' }, {}, {}, 'id'),
      { code: 'bad-setting', message: "Expected one of drop-oldest, drop-newest, reject for queuePolicy but received 'keep' of type string" });
  });

  it('refuses a port that is not a whole number from 1 to 65535', () => {
    for (const port of ['abc', '0', '70000', '1.5']) {
      assert.throws(() => publisherOptions({ mqttPort: port }, {}, {}, 'id'), { code: 'bad-setting', message: `Expected integer from 1 to 65535 for mqttPort but received '${port}' of type string` });
    }
  });

  it('names TEDGE_MQTT_PORT when the environment holds the bad port', () => {
    assert.throws(() => publisherOptions({}, {}, { TEDGE_MQTT_PORT: 'x' }, 'id'), /for TEDGE_MQTT_PORT but received 'x'/);
  });

  it('refuses an unreadable PEM file, naming the field and the reason', () => {
    assert.throws(() => publisherOptions({ mqttTls: true, mqttCaFile: '/nonexistent/ca.pem' }, {}, {}, 'id'),
      { code: 'bad-setting', message: "Expected a readable PEM file (ENOENT) for mqttCaFile but received '/nonexistent/ca.pem' of type string" });
  });
});

describe('publishing: topic root and device topic id', () => {
  const schema = (config: { topicRoot?: string; deviceTopicId?: string }, env: NodeJS.ProcessEnv = {}) => publisherOptions(config, {}, env, 'id').mqtt!.topics;

  it('defaults to thin-edge\'s te and device/main//', () => {
    assert.deepEqual(schema({}), { root: 'te', device: 'device/main//' });
  });

  it('reads TEDGE_MQTT_TOPIC_ROOT and TEDGE_MQTT_DEVICE_TOPIC_ID when the fields are empty', () => {
    assert.deepEqual(schema({ topicRoot: '', deviceTopicId: ' ' }, { TEDGE_MQTT_TOPIC_ROOT: 'plant', TEDGE_MQTT_DEVICE_TOPIC_ID: 'device/gw-7//' }), { root: 'plant', device: 'device/gw-7//' });
  });

  it('prefers the fields to the environment', () => {
    assert.deepEqual(schema({ topicRoot: 'a', deviceTopicId: 'device/b//' }, { TEDGE_MQTT_TOPIC_ROOT: 'plant', TEDGE_MQTT_DEVICE_TOPIC_ID: 'device/gw-7//' }), { root: 'a', device: 'device/b//' });
  });

  it('completes device/<name> with the missing slashes, as thin-edge does', () => {
    assert.equal(schema({ deviceTopicId: 'device/gw-7' }).device, 'device/gw-7//');
  });

  it('refuses a topic root of more than one level or with wildcards', () => {
    for (const root of ['te/x', 'te+', '#']) {
      assert.throws(() => schema({ topicRoot: root }), { code: 'bad-setting', message: `Expected one MQTT topic level such as te (no /, +, # or control characters) for topicRoot but received '${root}' of type string` });
    }
  });

  it('refuses device topic ids outside thin-edge\'s default scheme', () => {
    for (const id of ['main', 'device/main/service/x', 'device//', 'device/a/b/c/d', 'device/+//', 'thing/a//']) {
      assert.throws(() => schema({ deviceTopicId: id }), { code: 'bad-setting', message: `Expected a device topic id device/<name>// such as device/main// for deviceTopicId but received '${id}' of type string` });
    }
  });

  it('builds every channel under the configured root and device', () => {
    const topics = { root: 'plant', device: 'device/gw-7//' };
    assert.equal(topicFor(topics, { kind: 'child', name: 'pump' }, { kind: 'measurement-meta', type: 'env' }), 'plant/device/pump///m/env/meta');
    assert.equal(topicFor(topics, { kind: 'service', name: 'vqi' }, { kind: 'registration' }), 'plant/device/gw-7/service/vqi');
    assert.equal(topicFor(topics, { kind: 'device' }, { kind: 'command', operation: 'restart', id: 'c-1' }), 'plant/device/gw-7///cmd/restart/c-1');
    assert.equal(topicFor(topics, { kind: 'device' }, { kind: 'command-meta', operation: 'restart' }), 'plant/device/gw-7///cmd/restart');
  });

  it('refuses an asset named like the configured device', () => {
    assert.throws(() => topicFor({ root: 'te', device: 'device/gw-7//' }, { kind: 'child', name: 'gw-7' }, { kind: 'registration' }), { code: 'reserved-asset-id' });
  });

  it('names the configured device as the parent of an asset, and no parent for device/main//', () => {
    const publication = buildPublication({ assetId: 'pump', condition: condition('OK') }, SETTINGS);
    assert.equal(JSON.parse(te.registrationMessage({ root: 'te', device: 'device/gw-7//' }, publication).payload)['@parent'], 'device/gw-7//');
    assert.equal(JSON.parse(te.registrationMessage(DEFAULT_TOPICS, publication).payload)['@parent'], undefined);
  });

  it('tells an asset\'s topics (and its registration) from other topics of the schema', () => {
    const topics = { root: 'plant', device: 'device/gw-7//' };
    assert.deepEqual(childOfTopic(topics, 'plant/device/pump//'), { name: 'pump', registration: true });
    assert.deepEqual(childOfTopic(topics, 'plant/device/pump///m/env'), { name: 'pump', registration: false });
    for (const other of ['te/device/pump//', 'plant/device/gw-7//', 'plant/device/main//', 'plant/device/gw-7/service/vqi']) assert.equal(childOfTopic(topics, other), undefined, other);
  });
});
