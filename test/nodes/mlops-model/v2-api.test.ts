// The V2 inference API (Open Inference Protocol) served by mlops-model nodes in a real Node-RED runtime, with
// httpNodeRoot and httpNodeAuth set: every endpoint, shapes and datatypes, error bodies, and 503 under overload.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { generateAps } from '../../../lib/aps';
import { repoRoot } from '../../helpers/flow';
import { modelDir } from '../../fixtures/inference-models';
import { buildModel, makeNode, makeTensor, makeValueInfo } from '../../../lib/onnx';

/** x [1, 1] expanded to 512 × 512 and multiplied 20 times by the identity: slow to run, tiny to send. */
function tinyInputSlowModel(): string {
  const size = 512;
  const identity = new Float32Array(size * size);
  for (let i = 0; i < size; i++) identity[i * size + i] = 1;
  const nodes = [makeNode('Expand', ['x', 'shape'], ['h0'])];
  for (let i = 0; i < 20; i++) nodes.push(makeNode('MatMul', [`h${i}`, 'w'], [i === 19 ? 'y' : `h${i + 1}`]));
  const file = path.join(modelDir, 'v2-slow.onnx');
  fs.writeFileSync(file, buildModel({
    nodes, inputs: [makeValueInfo('x', 'float32', [1, 1])], outputs: [makeValueInfo('y', 'float32', [size, size])],
    initializers: [makeTensor('w', 'float32', [size, size], identity), makeTensor('shape', 'int64', [2], [size, size])],
  }));
  return file;
}
import { installIntoUserDir } from '../../../bin/runtime/embedded-node-red';
import { freePort } from '../../../tools/free-port';
 
const bcrypt = require('bcryptjs') as { hashSync(text: string, rounds: number): string };

const AUTH = `Basic ${Buffer.from('edge:secret').toString('base64')}`;
const APS = path.join(repoRoot, 'models', 'aps-demo.onnx');

describe('V2 inference API on Node-RED', function () {
  this.timeout(60000);
  let runtime: ChildProcess;
  let stopRuntime: (() => Promise<void>) | undefined;
  let base: string;
  const rows = generateAps('test', 14, 3);
  const row = (r: number) => Array.from(rows.features.subarray(r * 171, (r + 1) * 171), (v) => (Number.isNaN(v) ? null : v));

  async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = { authorization: AUTH }) {
    const res = await fetch(`${base}${url}`, {
      method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: any;
    try { parsed = JSON.parse(text); } catch { parsed = { text }; }
    return { status: res.status, body: parsed };
  }

  before(async () => {
    // Node-RED's own launcher (red.js) with a settings file, as on a device: it is what applies httpNodeRoot and
    // httpNodeAuth to RED.httpNode.
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v2-api-'));
    installIntoUserDir(userDir);
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify([
      { id: 'm1', type: 'mlops-model', name: 'APS', path: APS, workers: 1, warmup: true, serve: true, servedName: 'aps-demo', serveQueueSize: 64, serveBatchSize: 16, serveBatchDelayMs: 2 },
      { id: 'm2', type: 'mlops-model', path: tinyInputSlowModel(), workers: 1, intraOpThreads: 1, warmup: false, serve: true, servedName: 'slow', serveQueueSize: 1, serveBatchSize: 1 },
      { id: 'm3', type: 'mlops-model', path: APS, serve: true, servedName: 'aps-demo' },
    ]));
    const port = await freePort();
    fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify({
      uiPort: port, uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: false, httpNodeRoot: '/api', httpAdminRoot: '/admin',
      httpNodeAuth: { user: 'edge', pass: bcrypt.hashSync('secret', 4) }, telemetry: { enabled: false },
      logging: { console: { level: 'warn' } }, editorTheme: { tours: false },
    })};\n`);
    runtime = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    runtime.stdout!.resume();
    runtime.stderr!.resume();
    stopRuntime = async () => {
      if (runtime.exitCode === null) { const exited = once(runtime, 'exit'); runtime.kill('SIGTERM'); await exited; }
      fs.rmSync(userDir, { recursive: true, force: true });
    };
    base = `http://127.0.0.1:${port}/api`;
    // Waits for the condition the endpoint reports (not a fixed time): Node-RED starts, then the model loads.
    for (let tries = 0; ; tries++) {
      const status = await fetch(`${base}/v2/models/aps-demo/ready`, { headers: { authorization: AUTH } }).then((r) => r.status, () => 0);
      if (status === 200) break;
      if (tries > 600 || runtime.exitCode !== null) throw new Error(`aps-demo never became ready (last status ${status})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  after(async () => { await stopRuntime?.(); });

  it('sits under httpNodeRoot behind httpNodeAuth', async () => {
    assert.equal((await call('GET', '/v2/health/live', undefined, {})).status, 401);
    assert.equal((await fetch(base.replace(/\/api$/, '/v2/health/live'), { headers: { authorization: AUTH } })).status, 404);
    assert.deepEqual(await call('GET', '/v2/health/live'), { status: 200, body: { live: true } });
  });

  it('server metadata, readiness and model metadata with -1 for the free batch dimension', async () => {
    const server = await call('GET', '/v2');
    assert.equal(server.body.name, '@edge-mlops/node-red-vision');
    assert.deepEqual(server.body.extensions, []);
    assert.deepEqual(await call('GET', '/v2/models/aps-demo/ready'), { status: 200, body: { name: 'aps-demo', ready: true } });
    const meta = await call('GET', '/v2/models/aps-demo');
    assert.equal(meta.status, 200);
    assert.deepEqual(meta.body, {
      name: 'aps-demo', versions: ['1.0.0'], platform: 'onnxruntime_onnx',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 171] }], outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 2] }],
    });
    assert.equal((await call('GET', '/v2/models/aps-demo/versions/1.0.0')).status, 200);
  });

  it('infers flat and nested tensors with the same answer as onnxruntime itself; null is a missing value', async () => {
    const session = await ort.InferenceSession.create(APS);
    const expected = Array.from((await session.run({ features: new ort.Tensor('float32', rows.features.slice(0, 3 * 171), [3, 171]) })).logits!.data as Float32Array);
    await session.release();
    const flat = await call('POST', '/v2/models/aps-demo/infer', { id: 'r1', inputs: [{ name: 'features', shape: [3, 171], datatype: 'FP32', data: [...row(0), ...row(1), ...row(2)] }] });
    assert.equal(flat.status, 200);
    assert.equal(flat.body.model_name, 'aps-demo');
    assert.equal(flat.body.model_version, '1.0.0');
    assert.equal(flat.body.id, 'r1');
    assert.deepEqual(flat.body.outputs.map((o: any) => [o.name, o.datatype, o.shape]), [['logits', 'FP32', [3, 2]]]);
    flat.body.outputs[0].data.forEach((v: number, i: number) => assert.ok(Math.abs(v - expected[i]!) < 1e-5, `${i}: ${v} vs ${expected[i]}`));
    const nested = await call('POST', '/v2/models/aps-demo/versions/1.0.0/infer', { inputs: [{ name: 'features', shape: [3, 171], datatype: 'FP32', data: [row(0), row(1), row(2)] }], outputs: [{ name: 'logits' }] });
    assert.deepEqual(nested.body.outputs[0].data, flat.body.outputs[0].data);
  });

  it('answers bad requests with 4xx {"error"} naming the input and what it expects', async () => {
    const infer = (body: unknown) => call('POST', '/v2/models/aps-demo/infer', body);
    const cases: [unknown, number, RegExp][] = [
      [{ inputs: [{ name: 'features', shape: [1, 171], datatype: 'INT64', data: row(0) }] }, 400, /input "features" expects datatype FP32, got "INT64"/],
      [{ inputs: [{ name: 'features', shape: [1, 170], datatype: 'FP32', data: row(0).slice(1) }] }, 400, /input "features" expects shape \[-1,171\] \(-1 = any size\), got \[1,170\]/],
      [{ inputs: [{ name: 'features', shape: [2, 171], datatype: 'FP32', data: row(0) }] }, 400, /input "features" has 171 values but shape \[2,171\] needs 342/],
      [{ inputs: [{ name: 'features', shape: [1, 171], datatype: 'FP32', data: [...row(0).slice(1), 'x'] }] }, 400, /input "features" value 170 is "x"; datatype FP32 needs numbers/],
      [{ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] }, 400, /unknown input "x"; the model's inputs are "features"/],
      [{ inputs: [] }, 400, /missing input\(s\) "features"/],
      [{ inputs: [{ name: 'features', shape: [1, 171], datatype: 'FP32', data: row(0) }], outputs: [{ name: 'probs' }] }, 400, /unknown output "probs"/],
      [{ nothing: true }, 400, /"inputs"/],
      ['{"inputs": [', 400, /not JSON|Unexpected end of JSON/],
    ];
    for (const [body, status, message] of cases) {
      const reply = await infer(body);
      assert.equal(reply.status, status, JSON.stringify(reply.body));
      assert.equal(typeof reply.body.error, "string", JSON.stringify(reply.body));
      assert.match(reply.body.error, message);
    }
    assert.equal((await call('GET', '/v2/models/nope')).status, 404);
    assert.match((await call('GET', '/v2/models/nope/ready')).body.error, /model "nope" is not served here; served: aps-demo, slow/);
    assert.equal((await call('POST', '/v2/models/aps-demo/versions/9/infer', { inputs: [] })).status, 404);
    assert.equal((await call('GET', '/v2/models/aps-demo/infer')).status, 405);
  });

  it('answers 503 at once when the queue is full, and serves what it admitted', async () => {
    const text = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [0] }], outputs: [{ name: 'y' }] });
    const finished: number[] = [];
    const replies = await Promise.all(Array.from({ length: 6 }, async () => {
      const reply = await call('POST', '/v2/models/slow/infer', text);
      finished.push(reply.status);
      return reply;
    }));
    const statuses = replies.map((r) => r.status).sort();
    // One running, one waiting (queue size 1): the other four are refused.
    assert.deepEqual(statuses, [200, 200, 503, 503, 503, 503]);
    assert.ok(replies.filter((r) => r.status === 503).every((r) => /model overloaded/.test(r.body.error)));
    // Refusals come back before the admitted requests finish: nothing waited behind the full queue.
    assert.deepEqual(finished.slice(0, 4), [503, 503, 503, 503]);
  });
});
