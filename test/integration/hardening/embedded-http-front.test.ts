// The embedded runtime (edge-mlops start, the tests' runtime) applies httpNodeAuth to the flows' endpoints and the
// V2 API as Node-RED's red.js does, mounts the apps at httpAdminRoot / httpNodeRoot, and keeps the editor's admin API
// behind its own auth only.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateAps } from '../../../lib/aps';
import { freePort } from '../../../tools/free-port';
import { repoRoot } from '../../helpers/flow';
import { startRuntimeProcess, type RuntimeProcess } from '../../helpers/runtime-process';

const APS = path.join(repoRoot, 'models', 'aps-demo.onnx');
// bcrypt of "edge-secret" (cost 4), as settings.js keeps it.
const HASH = '$2b$04$oPhZ2eLPxT9v4RebyEme0OBeRM5lJ5Xyi6phHpmObmxgd3ecxghMi';
const AUTH = `Basic ${Buffer.from('edge:edge-secret').toString('base64')}`;
const WRONG = `Basic ${Buffer.from('edge:guess').toString('base64')}`;

function flowsFile(dir: string): string {
  const file = path.join(dir, 'flows.json');
  fs.writeFileSync(file, JSON.stringify([
    { id: 't', type: 'tab', label: 'front' },
    { id: 'in', type: 'http in', z: 't', url: '/hello', method: 'get', wires: [['answer']] },
    { id: 'answer', type: 'change', z: 't', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'hi', tot: 'str' }], wires: [['out']] },
    { id: 'out', type: 'http response', z: 't', wires: [] },
    { id: 'm', type: 'mlops-model', path: APS, workers: 1, serve: true, servedName: 'aps-demo', serveBatchSize: 4, serveBatchDelayMs: 1 },
  ]));
  return file;
}

async function status(url: string, authorization?: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, { ...init, headers: { ...(authorization ? { authorization } : {}), ...(init.headers as Record<string, string> ?? {}) } });
  await res.arrayBuffer();
  return res.status;
}

async function untilReady(url: string): Promise<void> {
  // The condition the endpoint reports, not a fixed time: the model loads after the flows start.
  for (let tries = 0; tries < 600; tries++) {
    if (await status(url, AUTH) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} never became ready`);
}

describe('embedded runtime HTTP front: httpNodeAuth, roots, the V2 API on httpNode', function () {
  this.timeout(120000);
  let dir: string;
  const runtimes: RuntimeProcess[] = [];
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'http-front-')); });
  after(async () => {
    for (const r of runtimes) await r.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('asks flows\' endpoints and the V2 API for httpNodeAuth, not the editor\'s admin API', async () => {
    const runtime = await startRuntimeProcess(flowsFile(dir), { TEDGE_MQTT_PORT: String(await freePort()), EDGE_MLOPS_TEST_SETTINGS: JSON.stringify({ httpNodeAuth: { user: 'edge', pass: HASH } }) });
    runtimes.push(runtime);
    await untilReady(`${runtime.url}/v2/models/aps-demo/ready`);
    assert.equal(await status(`${runtime.url}/hello`), 401);
    assert.equal(await status(`${runtime.url}/hello`, WRONG), 401);
    assert.equal(await status(`${runtime.url}/hello`, AUTH), 200);
    assert.equal(await status(`${runtime.url}/v2/health/live`), 401);
    assert.equal(await status(`${runtime.url}/v2/health/live`, WRONG), 401);
    assert.equal(await status(`${runtime.url}/flows`), 200, 'the admin API has its own auth (adminAuth), none here');
    assert.equal(await status(`${runtime.url}/nowhere`, AUTH), 404);

    const row = Array.from(generateAps('test', 14, 1).features, (v) => (Number.isNaN(v) ? null : v));
    const infer = (body: string, authorization = AUTH) => fetch(`${runtime.url}/v2/models/aps-demo/infer`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
    assert.equal((await infer('{}', WRONG)).status, 401);
    const answered = await infer(JSON.stringify({ inputs: [{ name: 'features', shape: [1, 171], datatype: 'FP32', data: row }] }));
    assert.equal(answered.status, 200);
    const outputs = ((await answered.json()) as { outputs: { name: string; shape: number[] }[] }).outputs;
    assert.deepEqual(outputs.map((o) => [o.name, o.shape]), [['logits', [1, 2]]]);
    const malformed = await infer('{"inputs": [');
    assert.equal(malformed.status, 400);
    assert.match(((await malformed.json()) as { error: string }).error, /not JSON/);
  });

  it('mounts the admin app at httpAdminRoot and the flows\' app at httpNodeRoot', async () => {
    const other = fs.mkdtempSync(path.join(dir, 'roots-'));
    const runtime = await startRuntimeProcess(flowsFile(other), { TEDGE_MQTT_PORT: String(await freePort()), EDGE_MLOPS_TEST_SETTINGS: JSON.stringify({ httpAdminRoot: '/admin', httpNodeRoot: '/api' }) });
    runtimes.push(runtime);
    await untilReady(`${runtime.url}/api/v2/models/aps-demo/ready`);
    assert.equal(await status(`${runtime.url}/api/hello`), 200);
    assert.equal(await status(`${runtime.url}/api/hello?x=1`), 200);
    assert.equal(await status(`${runtime.url}/hello`), 404);
    assert.equal(await status(`${runtime.url}/v2/health/live`), 404);
    assert.equal(await status(`${runtime.url}/admin/flows`), 200);
    assert.equal(await status(`${runtime.url}/flows`), 404);
  });
});
