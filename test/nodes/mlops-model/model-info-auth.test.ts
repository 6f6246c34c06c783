// The model-info endpoint under admin authentication, in a real Node-RED started as a child process:
// the test helper stubs RED.auth, so only a real runtime shows the permission is enforced.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distNodes } from '../../helpers/flow';
import { convModel } from '../../fixtures/inference-models';

 
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

describe('model-info endpoint with admin authentication (real Node-RED)', function () {
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
});
