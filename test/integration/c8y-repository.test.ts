// edge-mlops c8y publish and deploy, run as a user runs them (the CLI, connection from env) against the local
// Cumulocity server: what lands in the inventory, refusals, HTTP faults and timeouts, and rollouts with a canary.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tenantConnection } from '../../lib/software-repository/connection';
import { FakeTenant } from '../fixtures/c8y-tenant';
import { repoRoot } from '../helpers/flow';

const cli = path.join(repoRoot, 'dist', 'bin', 'edge-mlops.js');
interface Run { code: number; stdout: string; stderr: string; json: any }

describe('edge-mlops c8y publish and deploy', function () {
  this.timeout(30000);
  let tenant: FakeTenant;
  let dir: string;
  let env: Record<string, string>;
  const model = Buffer.from('not really onnx, but bytes that must arrive unchanged \u0000\u00ff');

  function c8y(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<Run> {
    const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const [k, v] of Object.entries({ ...env, ...extraEnv })) if (v !== undefined) childEnv[k] = v;
    return new Promise((resolve) => {
      execFile(process.execPath, [cli, 'c8y', ...args], { env: childEnv }, (err, stdout, stderr) => {
        let json: any;
        try { json = JSON.parse(stdout.trim().split('\n').at(-1) ?? ''); } catch { /* no JSON line */ }
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr, json });
      });
    });
  }

  beforeEach(async () => {
    tenant = new FakeTenant({ basic: 't100/admin:s3cret' });
    await tenant.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c8y-repo-'));
    fs.writeFileSync(path.join(dir, 'vqi.onnx'), model);
    env = { C8Y_BASEURL: tenant.url, C8Y_TENANT: 't100', C8Y_USER: 'admin', C8Y_PASSWORD: 's3cret' };
  });
  afterEach(async () => {
    await tenant.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const publishModel = (version: string, ...more: string[]) => c8y(['publish', 'model', path.join(dir, 'vqi.onnx'), '--name', 'vqi-demo', '--version', version, ...more]);

  it('reads the connection as go-c8y-cli names it', () => {
    const token = tenantConnection({ C8Y_HOST: 'example.cumulocity.com/', C8Y_TOKEN: 'abc' });
    assert.deepEqual([token.baseUrl, token.token, token.user], ['https://example.cumulocity.com', 'abc', undefined]);
    const basic = tenantConnection({ C8Y_BASEURL: 'http://localhost:9', C8Y_HOST: 'ignored', C8Y_USERNAME: 'u', C8Y_PASSWORD: 'p' }, { timeoutMs: 5 });
    assert.deepEqual([basic.baseUrl, basic.user, basic.timeoutMs], ['http://localhost:9', 'u', 5]);
    assert.throws(() => tenantConnection({ C8Y_HOST: 'h', C8Y_USER: 'u' }), /no credentials for https:\/\/h: set C8Y_USER and C8Y_PASSWORD/);
    assert.throws(() => tenantConnection({}, { sessionFile: '/nonexistent', readFile: (f) => fs.readFileSync(f, 'utf8') }), /cannot read the session file \/nonexistent/);
  });

  describe('publish', () => {
    it('creates the software item, the version under it and the binary under the version', async () => {
      const run = await publishModel('1.0.0', '--description', 'demo segmentation');
      assert.equal(run.code, 0, run.stderr);
      const [item] = tenant.managedObjectsOfType('c8y_Software');
      assert.deepEqual({ name: item!.name, softwareType: item!.softwareType, global: item!.c8y_Global, description: item!.description }, { name: 'vqi-demo', softwareType: 'onnx-model', global: {}, description: 'demo segmentation' });
      const [version] = tenant.managedObjectsOfType('c8y_SoftwareBinary');
      assert.deepEqual(tenant.childAdditions.get(item!.id), [version!.id]);
      assert.equal(version!.c8y_Software.version, '1.0.0');
      const binary = tenant.inventoryBinaries.get(run.json.binaryId)!;
      assert.deepEqual(binary.data, model);
      assert.deepEqual(tenant.childAdditions.get(version!.id), [binary.id]);
      assert.equal(version!.c8y_Software.url, `${tenant.url}/inventory/binaries/${binary.id}`);
      assert.deepEqual(run.json, { softwareId: item!.id, versionId: version!.id, binaryId: binary.id, url: version!.c8y_Software.url, name: 'vqi-demo', version: '1.0.0', softwareType: 'onnx-model', created: true });
      assert.equal(run.stdout.trim().split('\n').length, 1, 'exactly one line on stdout');
      const download = await fetch(run.json.url, { headers: { authorization: `Basic ${Buffer.from('t100/admin:s3cret').toString('base64')}` } });
      assert.deepEqual(Buffer.from(await download.arrayBuffer()), model);
    });

    it('refuses an existing version unless --replace, which swaps it and removes the old binary', async () => {
      const first = await publishModel('1.0.0');
      const again = await publishModel('1.0.0');
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already has version 1\.0\.0; publish another version, or pass --replace/);
      assert.equal(tenant.inventoryBinaries.size, 1, 'a refused publish uploads nothing');
      const second = await publishModel('1.1.0');
      assert.equal(second.json.softwareId, first.json.softwareId, 'the item is found, not created twice');
      assert.equal(second.json.created, false);
      const replaced = await publishModel('1.0.0', '--replace');
      assert.equal(replaced.code, 0, replaced.stderr);
      assert.equal(replaced.json.replacedVersionId, first.json.versionId);
      assert.ok(!tenant.inventoryBinaries.has(first.json.binaryId), 'the cascade removed the old binary');
      assert.deepEqual(tenant.managedObjectsOfType('c8y_SoftwareBinary').map((v) => v.c8y_Software.version).sort(), ['1.0.0', '1.1.0']);
    });

    it('publishes packed flows as nodered-flows or mlops-flows and refuses unpacked exports', async () => {
      const flow = [{ id: 't', type: 'tab', label: 'vqi', env: [] }, { id: 'n', type: 'inject', z: 't' }];
      const packed = path.join(dir, 'flow.json');
      fs.writeFileSync(packed, JSON.stringify(flow));
      assert.equal((await c8y(['publish', 'flow', packed, '--name', 'vqi-flow', '--version', '1'])).json.softwareType, 'nodered-flows');
      assert.equal((await c8y(['publish', 'flow', packed, '--name', 'vqi-flow', '--version', '1', '--type', 'mlops-flows'])).json.softwareType, 'mlops-flows');
      assert.equal(tenant.managedObjectsOfType('c8y_Software').length, 2, 'one item per software type');
      const exported = path.join(dir, 'exported.json');
      fs.writeFileSync(exported, JSON.stringify([{ ...flow[0], env: [{ name: 'MODULE_NAME', value: 'vqi-flow', type: 'str' }] }]));
      const refused = await c8y(['publish', 'flow', exported, '--name', 'vqi-flow', '--version', '2']);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /MODULE_NAME env entries.*run edge-mlops flow pack first/);
      const notFlow = await c8y(['publish', 'flow', path.join(dir, 'vqi.onnx'), '--name', 'x', '--version', '1']);
      assert.equal(notFlow.code, 1);
      assert.match(notFlow.stderr, /is not JSON/);
    });

    it('reads the connection from a go-c8y-cli session file and says what is missing without one', async () => {
      const session = path.join(dir, 'session.json');
      fs.writeFileSync(session, JSON.stringify({ host: tenant.url, tenant: 't100', username: 'admin', password: 's3cret' }));
      const run = await c8y(['publish', 'model', path.join(dir, 'vqi.onnx'), '--name', 'm', '--version', '1'], { C8Y_BASEURL: undefined, C8Y_TENANT: undefined, C8Y_USER: undefined, C8Y_PASSWORD: undefined, C8Y_SESSION: session });
      assert.equal(run.code, 0, run.stderr);
      const none = await c8y(['publish', 'model', path.join(dir, 'vqi.onnx'), '--name', 'm', '--version', '2'], { C8Y_BASEURL: undefined });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no Cumulocity tenant: set C8Y_BASEURL/);
      const wrong = await c8y(['publish', 'model', path.join(dir, 'vqi.onnx'), '--name', 'm', '--version', '2'], { C8Y_PASSWORD: 'guess' });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /HTTP 401.*check C8Y_USER, C8Y_PASSWORD and C8Y_TENANT/);
    });

    it('leaves nothing behind when a step fails with 5xx, and gives up on a tenant that does not answer', async () => {
      tenant.failRequest(/^POST \/inventory\/binaries$/, { status: 503 });
      const upload = await publishModel('1.0.0');
      assert.equal(upload.code, 1);
      assert.match(upload.stderr, /uploading vqi\.onnx failed with HTTP 503/);
      assert.equal(tenant.managedObjectsOfType('c8y_SoftwareBinary').length, 0);

      tenant.failRequest(/^POST \/inventory\/managedObjects\/\d+\/childAdditions$/, { status: 500 });
      const link = await publishModel('1.0.0');
      assert.equal(link.code, 1);
      assert.match(link.stderr, /creating version 1\.0\.0 of "vqi-demo" failed with HTTP 500/);
      assert.equal(tenant.inventoryBinaries.size, 0, 'the uploaded binary was deleted again');

      const first = await publishModel('0.9.0');
      tenant.failRequest(new RegExp(`^POST /inventory/managedObjects/(?!${first.json.softwareId}/)\\d+/childAdditions$`), { status: 500 });
      const linking = await publishModel('1.0.0');
      assert.match(linking.stderr, /linking the binary to its version failed with HTTP 500/);
      assert.deepEqual(tenant.managedObjectsOfType('c8y_SoftwareBinary').map((v) => v.c8y_Software.version), ['0.9.0'], 'the half-made version was removed');
      assert.deepEqual([...tenant.inventoryBinaries.keys()], [first.json.binaryId]);

      tenant.failRequest(/^GET \/inventory\/managedObjects$/, { hang: true });
      const hung = await publishModel('1.0.0', '--timeout', '0.5');
      assert.equal(hung.code, 1);
      assert.match(hung.stderr, /did not answer within 0\.5 s/);
    });
  });

  describe('deploy', () => {
    let devices: string[];
    beforeEach(async () => {
      assert.equal((await publishModel('2.0.0')).code, 0);
      devices = ['edge-01', 'edge-02', 'edge-03', 'edge-04', 'edge-05'].map((name) => tenant.addDevice(name, name));
    });
    const deploy = (...args: string[]) => c8y(['deploy', '--software', 'vqi-demo', '--version', '2.0.0', '--poll', '0.01', ...args]);

    it('sends a c8y_SoftwareUpdate install to a device found by external id and follows it to SUCCESSFUL', async () => {
      const run = await deploy('--device', 'edge-02');
      assert.equal(run.code, 0, run.stderr);
      const [operation] = tenant.operations;
      const version = tenant.managedObjectsOfType('c8y_SoftwareBinary')[0]!;
      assert.equal(operation!.deviceId, devices[1]);
      assert.deepEqual(operation!.c8y_SoftwareUpdate, [{ name: 'vqi-demo', version: '2.0.0', url: version.c8y_Software.url, action: 'install', softwareType: 'onnx-model' }]);
      assert.match(run.stderr, /edge-02 \(\d+\): operation \d+ created\n.*EXECUTING\n.*SUCCESSFUL/);
      assert.deepEqual(run.json.succeeded.map((o: any) => o.status), ['SUCCESSFUL']);
      assert.equal((await deploy('--device', devices[0]!)).json.succeeded[0].name, 'edge-01', 'a Cumulocity id works too');
    });

    it('exits 1 with the device\'s reason when it fails, and with the versions there are for an unknown version', async () => {
      tenant.deviceAnswers(devices[0]!, { status: 'FAILED', reason: 'model failed its smoke test' });
      const run = await deploy('--device', 'edge-01');
      assert.equal(run.code, 1);
      assert.equal(run.json.failed[0].reason, 'model failed its smoke test');
      const unknown = await c8y(['deploy', '--software', 'vqi-demo', '--version', '9', '--device', 'edge-01']);
      assert.match(unknown.stderr, /has no version 9 \(it has 2\.0\.0\)/);
      assert.match((await deploy('--device', 'nope')).stderr, /no device with id or external id c8y_Serial "nope"/);
      tenant.deviceAnswers(devices[1]!, { status: 'NEVER' });
      const silent = await deploy('--device', 'edge-02', '--wait', '0.2');
      assert.equal(silent.json.failed[0].status, 'TIMEOUT');
    });

    it('rolls out to a group: canary first, then waves, stopping at the first failing wave', async () => {
      tenant.addGroup('line-7', devices);
      tenant.deviceAnswers(devices[3]!, { status: 'FAILED', reason: 'disk full' });
      const run = await deploy('--group', 'line-7', '--canary', '2', '--wave', '2');
      assert.equal(run.code, 1);
      assert.deepEqual(run.json.succeeded.map((o: any) => o.name), ['edge-01', 'edge-02', 'edge-03']);
      assert.deepEqual(run.json.failed.map((o: any) => [o.name, o.reason]), [['edge-04', 'disk full']]);
      assert.deepEqual(run.json.skipped.map((d: any) => d.name), ['edge-05']);
      const order = tenant.operations.map((o) => o.deviceId);
      assert.deepEqual(order.slice(0, 2).sort(), devices.slice(0, 2).sort(), 'the canaries go first');
      assert.deepEqual(order.slice(2).sort(), devices.slice(2, 4).sort());
      assert.match(run.stderr, /failed on edge-04 \(disk full\); not attempted: edge-05/);
    });

    it('deploys nothing beyond a failing canary', async () => {
      const group = tenant.addGroup('line-8', devices);
      tenant.deviceAnswers(devices[0]!, { status: 'FAILED', reason: 'no space' });
      const run = await deploy('--group', group, '--canary', '1');
      assert.equal(run.code, 1);
      assert.equal(tenant.operations.length, 1);
      assert.equal(run.json.skipped.length, 4);
    });

    it('refuses wrong usage with exit 2', async () => {
      assert.equal((await deploy()).code, 2);
      assert.equal((await deploy('--device', 'edge-01', '--group', 'g')).code, 2);
      assert.equal((await deploy('--device', 'edge-01', '--canary', '1')).code, 2);
      assert.equal((await deploy('--group', 'g', '--canary', '0')).code, 2);
    });
  });
});
