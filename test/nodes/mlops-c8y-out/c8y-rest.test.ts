import assert from 'node:assert/strict';
import fs from 'node:fs';
import { FakeCumulocity } from '../../fixtures/c8y-server';
import { c8yNodes, condition, connectionIdle, publishFlow, segmentation, tempUserDir, watchStatus } from '../../helpers/c8y-flow';
import { nextMessage, testHelper } from '../../helpers/flow';

const PASSWORD = 'Sup3r-Secret!';
const MEDIA = (name: string) => `application/vnd.com.nsn.cumulocity.${name}+json`;

describe('mlops-c8y-out with the cumulocity (REST) transport', function () {
  let tenant: FakeCumulocity;
  let userDir: string;

  beforeEach(async () => {
    tenant = new FakeCumulocity({ basic: `t100/robot:${PASSWORD}` });
    await tenant.start();
    userDir = tempUserDir();
    testHelper.settings({ userDir });
  });
  afterEach(async () => {
    await testHelper.unload();
    await tenant?.stop();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  const load = (password = PASSWORD, connection: Record<string, unknown> = {}, out: Record<string, unknown> = {}) => testHelper.load(
    c8yNodes(),
    publishFlow({ transport: 'cumulocity', tenantUrl: tenant.url, externalIdPrefix: 'vqi-', retryMinS: '0.02', retryMaxS: '0.2', ...connection }, { modelName: 'tower-seg', modelVersion: '3', ...out }),
    { conn: { user: 't100/robot', password } },
  );

  it('creates the device by external id and sends measurement, event with image, alarm and inventory update', async () => {
    await load();
    const overlay = Buffer.from('\x89PNG overlay');
    testHelper.getNode('pub').receive({ condition: condition('CRITICAL'), segmentation: segmentation(overlay), timings: { infer: 40 } });
    await tenant.waitFor(() => tenant.binaries.length === 1 && tenant.alarms.length === 1 && !!tenant.devices.get('1000')?.mlops_Flow, 'everything delivered');

    const [device] = [...tenant.devices.values()];
    assert.equal(device!.name, 'tower-17');
    assert.equal(device!.type, 'lattice_tower');
    assert.deepEqual(device!.c8y_IsDevice, {});
    assert.equal(tenant.externalIds.get('c8y_Serial/vqi-tower-17'), device!.id);

    const [measurement] = tenant.measurements;
    assert.equal(measurement.source.id, device!.id);
    assert.equal(measurement.type, 'mlops_Inspection');
    assert.deepEqual(measurement.condition, { score: { value: 0.72 }, state: { value: 2 } });
    assert.deepEqual(measurement.timing, { infer: { value: 40, unit: 'ms' } });
    assert.deepEqual(measurement.class_ratio.rust, { value: 0.25 });

    const [event] = tenant.events;
    assert.equal(event.type, 'mlops_Inspection');
    assert.match(event.text, /^Inspection of tower-17 \(lattice_tower\) is CRITICAL/);
    assert.deepEqual(event.c8y_IsBinary, { name: tenant.binaries[0]!.name, type: 'image/png', length: overlay.length });
    assert.deepEqual(tenant.binaries[0]!.data, overlay);

    const [alarm] = tenant.alarms;
    assert.deepEqual([alarm.type, alarm.severity, alarm.status, alarm.source.id], ['mlops_AssetCondition', 'CRITICAL', 'ACTIVE', device!.id]);
    assert.deepEqual(device!.mlops_Model, { name: 'tower-seg', version: '3' });
    assert.equal(device!.mlops_Condition.state, 'CRITICAL');

    const contentTypes = Object.fromEntries(tenant.requests.map((r) => [`${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, '/:id')}`, r.headers['content-type']]));
    assert.deepEqual(contentTypes, {
      'GET /identity/externalIds/c8y_Serial/vqi-tower-17': undefined,
      'POST /inventory/managedObjects': MEDIA('managedobject'),
      'POST /identity/globalIds/:id/externalIds': MEDIA('externalid'),
      'POST /measurement/measurements': MEDIA('measurement'),
      'POST /event/events': MEDIA('event'),
      'POST /event/events/:id/binaries': contentTypes['POST /event/events/:id/binaries'],
      'POST /alarm/alarms': MEDIA('alarm'),
      'PUT /inventory/managedObjects/:id': MEDIA('managedobject'),
    });
    assert.match(contentTypes['POST /event/events/:id/binaries']!, /^multipart\/form-data; boundary=/);

    testHelper.getNode('pub').receive({ condition: condition('OK') });
    await tenant.waitFor(() => tenant.alarms[0].status === 'CLEARED', 'alarm cleared');
    const clear = tenant.requests.find((r) => r.method === 'PUT' && r.path.startsWith('/alarm/alarms/'))!;
    assert.deepEqual(JSON.parse(clear.body.toString()), { status: 'CLEARED' });
    assert.deepEqual(tenant.requests.find((r) => r.method === 'GET' && r.path === '/alarm/alarms')!.query,
      { source: device!.id, type: 'mlops_AssetCondition', status: 'ACTIVE', pageSize: '100' });
  });

  it('retries through 5xx answers, 401s and timeouts without losing or duplicating data', async () => {
    tenant.addDevice('vqi-pump-1', 'pump-1');
    await load(PASSWORD, { timeoutS: '0.3' }, { assetId: 'pump-1', measurementType: 'environment' });
    tenant.failNext({ status: 503 }, { status: 401 }, { hang: true }, { status: 500 });
    for (let seq = 0; seq < 5; seq++) testHelper.getNode('pub').receive({ payload: { seq } });
    await tenant.waitFor(() => tenant.measurements.length === 5, 'five measurements');
    await connectionIdle();
    assert.deepEqual(tenant.measurements.map((m) => m.seq.seq.value), [0, 1, 2, 3, 4]);
    // One identity lookup, five measurements and the mlops_Flow inventory update succeeded; the four faulted attempts were retried.
    assert.equal(tenant.requests.length, 7 + 4);
  });

  it('keeps data queued while the credentials are wrong, and says so', async () => {
    tenant.addDevice('vqi-pump-1', 'pump-1');
    await load('wrong', {}, { assetId: 'pump-1', measurementType: 'environment' });
    const status = watchStatus('pub');
    testHelper.getNode('pub').receive({ payload: { seq: 1 } });
    await status.until(/^offline \(unauthorized\) · queued 2$/); // the measurement and the mlops_Flow twin
    assert.equal(tenant.measurements.length, 0);
  });

  it('reports data Cumulocity refuses for good (4xx) as an error and counts it', async () => {
    tenant.addDevice('vqi-pump-1', 'pump-1');
    await load(PASSWORD, {}, { assetId: 'pump-1', measurementType: 'environment' });
    const status = watchStatus('pub');
    testHelper.getNode('pub').receive({ payload: { seq: 0 } });
    await tenant.waitFor(() => tenant.measurements.length === 1, 'the first measurement');
    await connectionIdle();
    tenant.failNext({ status: 422 });
    testHelper.getNode('pub').receive({ payload: { seq: 1 } });
    testHelper.getNode('pub').receive({ payload: { seq: 2 } });
    await status.until(/failed 1$/);
    await tenant.waitFor(() => tenant.measurements.length === 2, 'the third measurement');
    assert.deepEqual(tenant.measurements.map((m) => m.seq.seq.value), [0, 2]);
  });

  it('fails messages with a clear error while the connection lacks credentials', async () => {
    await testHelper.load(c8yNodes(), publishFlow({ transport: 'cumulocity', tenantUrl: tenant.url }, { assetId: 'pump-1' }));
    const caught = nextMessage('caught');
    testHelper.getNode('pub').receive({ payload: { seq: 1 } });
    assert.match((await caught).error.message, /cumulocity transport needs a user and password \(user as tenant\/user\) or a token/);
    assert.equal(tenant.requests.length, 0);
  });

  it('never puts the credentials into the flow', async () => {
    await load();
    const app = (testHelper as unknown as { _httpAdmin: { get(p: string, h: (req: unknown, res: { json(b: unknown): void }) => void): void }; _redNodes: { getFlows(): unknown } });
    app._httpAdmin.get('/flows', (_req, res) => res.json(app._redNodes.getFlows()));
    const response = await testHelper.request().get('/flows').expect(200);
    const text = JSON.stringify(response.body);
    assert.ok(text.includes('"transport":"cumulocity"'), 'the export holds the connection node');
    assert.ok(!text.includes(PASSWORD) && !text.includes('t100/robot'), 'no user or password in the export');
    testHelper.getNode('pub').receive({ condition: condition('OK') });
    await nextMessage('out');
  });
});
