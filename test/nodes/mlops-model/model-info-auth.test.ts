// The model endpoints (model-info, models, upload) under admin authentication, in a real Node-RED started as a
// child process: the test helper stubs RED.auth, so only a real runtime shows the permission is enforced. The
// upload is fed hostile requests over real HTTP here.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { distNodes } from '../../helpers/flow';
import { convModel } from '../../fixtures/inference-models';
import { freeSizeMaskModel } from '../../fixtures/editor-models';

 
const bcrypt = require('bcryptjs') as { hashSync(text: string, rounds: number): string };

const PASSWORD = 'correct horse';

async function startNodeRed(userDir: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const hash = bcrypt.hashSync(PASSWORD, 4);
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: 0,
    flowFile: 'flows.json',
    nodesDir: [distNodes],
    adminAuth: {
      type: 'credentials',
      users: [
        { username: 'viewer', password: hash, permissions: 'read' },
        { username: 'deployer', password: hash, permissions: ['flows.read', 'flows.write'] },
        { username: 'admin', password: hash, permissions: '*' },
      ],
    },
    logging: { console: { level: 'info' } },
  };
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings)};`);
  const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', userDir, '-s', path.join(userDir, 'settings.js')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`Node-RED did not start:\n${log}`)), 40000);
    child.stdout!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const running = /Server now running at (http:\/\/[^\s/]+)\//.exec(log);
      if (running) {
        clearTimeout(timer);
        resolve(running[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`Node-RED exited with ${code}:\n${log}`)));
  });
  return { child, baseUrl };
}

describe('model endpoints with admin authentication (real Node-RED)', function () {
  this.timeout(60000);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-auth-'));
  let nodeRed: { child: ChildProcess; baseUrl: string };

  before(async () => { nodeRed = await startNodeRed(userDir); });
  after(async () => {
    if (!nodeRed) return;
    const exited = new Promise((resolve) => nodeRed.child.once('exit', resolve));
    nodeRed.child.kill();
    await exited;
  });

  async function token(username: string): Promise<string> {
    const res = await fetch(`${nodeRed.baseUrl}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // An empty scope asks for the user's own permissions.
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '', username, password: PASSWORD }),
    });
    assert.equal(res.status, 200, `login of ${username}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  function modelInfo(bearer?: string): Promise<Response> {
    // Inside the user directory: the endpoint inspects nothing outside it, the bundled models and the model store.
    const model = path.join(userDir, 'conv.onnx');
    fs.copyFileSync(convModel(), model);
    const url = `${nodeRed.baseUrl}/edge-mlops/model-info?path=${encodeURIComponent(model)}`;
    return fetch(url, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  }

  it('refuses a request without a login', async () => {
    assert.equal((await modelInfo()).status, 401);
  });

  it('refuses a user without the mlops-model.read permission', async () => {
    assert.equal((await modelInfo(await token('deployer'))).status, 401);
  });

  it('answers a user with read permission', async () => {
    const res = await modelInfo(await token('viewer'));
    assert.equal(res.status, 200);
    const info = (await res.json()) as { inputs: unknown[]; metadata: Record<string, string> };
    assert.deepEqual(info.inputs, [{ name: 'x', type: 'float32', dims: ['batch', 1, 3, 3] }]);
    assert.equal(info.metadata.name, 'conv-demo');
  });

  /** POST edge-mlops/models over plain HTTP, so that the test controls every header (also a false Content-Length). */
  function upload(bearer: string | undefined, name: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const url = new URL(`${nodeRed.baseUrl}/edge-mlops/models?name=${encodeURIComponent(name)}`);
    return new Promise((resolve, reject) => {
      const req = http.request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length), ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers },
      }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('lets only a user with mlops-model.write upload, into <userDir>/models, and lists and inspects the upload', async () => {
    const model = freeSizeMaskModel({ version: '0.3.0' });
    assert.equal((await upload(undefined, 'mask.onnx', model)).status, 401);
    assert.equal((await upload(await token('viewer'), 'mask.onnx', model)).status, 401);
    assert.equal(fs.existsSync(path.join(userDir, 'models', 'mask.onnx')), false);
    const admin = await token('admin');
    const created = await upload(admin, 'mask.onnx', model);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.ref, 'models/mask.onnx');
    assert.deepEqual(fs.readFileSync(path.join(userDir, 'models', 'mask.onnx')), model);
    const listed = await (await fetch(`${nodeRed.baseUrl}/edge-mlops/models`, { headers: { authorization: `Bearer ${admin}` } })).json() as any;
    assert.deepEqual(listed.uploaded.map((m: { ref: string }) => m.ref), ['models/mask.onnx']);
    assert.ok(listed.bundled.some((m: { ref: string }) => m.ref === 'bundled:vqi-demo.onnx'), JSON.stringify(listed.bundled));
    const info = await (await fetch(`${nodeRed.baseUrl}/edge-mlops/model-info?path=models%2Fmask.onnx`, { headers: { authorization: `Bearer ${admin}` } })).json() as any;
    assert.equal(info.card.version, '0.3.0');
    assert.equal(info.card.sha256, created.body.sha256);
    assert.equal(info.card.precision, 'float32');
    assert.deepEqual(info.card.labels, []);
  });

  it('answers hostile uploads with a clear 4xx and keeps the runtime serving', async () => {
    const admin = await token('admin');
    const model = freeSizeMaskModel();
    const cases: [string, Buffer, Record<string, string>, number, string][] = [
      ['../escape.onnx', model, {}, 400, 'bad-upload-name'],
      ['..%2Fescape.onnx', model, {}, 400, 'bad-upload-name'],
      ['bell\u0007.onnx', model, {}, 400, 'bad-upload-name'],
      ['notes.onnx', Buffer.from('just some text'), {}, 422, 'not-onnx'],
      ['form.onnx', model, { 'content-type': 'multipart/form-data; boundary=x' }, 415, 'upload-content-type'],
      // Announces 1 GiB and sends 1 KiB: refused on the announcement, before any byte is read.
      ['huge.onnx', Buffer.alloc(1024), { 'content-length': String(1024 ** 3) }, 413, 'upload-too-large'],
      ['mask.onnx', model, {}, 409, 'model-exists'],
    ];
    for (const [name, body, headers, status, code] of cases) {
      const answer = await upload(admin, name, body, headers);
      assert.equal(answer.status, status, `${name}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error, code, name);
      assert.ok(answer.body.message.length > 20, name);
    }
    assert.deepEqual(fs.readdirSync(path.join(userDir, 'models')), ['mask.onnx']);
    assert.equal(fs.existsSync(path.join(userDir, 'escape.onnx')), false);
    assert.equal((await modelInfo(admin)).status, 200);
  });
});
