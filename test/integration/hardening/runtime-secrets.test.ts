// Issue 10 item 10: npm start's runtime wrote passwords and tokens in plain text to flows_cred.json (mode 0644,
// credentialSecret: false), and `--host 0.0.0.0` exposed an unauthenticated Admin API silently.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CREDENTIAL_SECRET_FILE, exposureWarnings } from '../../../bin/runtime/runtime-security';
import { repoRoot } from '../../helpers/flow';
import { freePort } from '../../helpers/mosquitto';
import { startRuntimeProcess } from '../../helpers/runtime-process';

describe('hardening: npm start runtime secrets and exposure', function () {
  this.timeout(90000);

  it('keeps deployed passwords and tokens encrypted, with a generated secret readable by its owner only', async () => {
    const runtime = await startRuntimeProcess(undefined, { TEDGE_MQTT_PORT: String(await freePort()) });
    try {
      const secretFile = path.join(runtime.userDir, CREDENTIAL_SECRET_FILE);
      assert.equal(fs.statSync(secretFile).mode & 0o777, 0o600);
      const flows = [
        { id: 't1', type: 'tab', label: 'secrets' },
        { id: 'c1', type: 'mlops-c8y', name: 'tenant', transport: 'cumulocity', tenantUrl: 'https://example.invalid', credentials: { user: 't/u', password: 'pa55-word-plain', token: 'tok-en-plain' } },
      ];
      const res = await fetch(`${runtime.url}/flows`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flows),
      });
      assert.ok(res.ok, `deploy answered ${res.status}`);
      const stored = fs.readFileSync(path.join(runtime.userDir, 'flows_cred.json'), 'utf8');
      assert.ok(!stored.includes('pa55-word-plain') && !stored.includes('tok-en-plain'), stored);
      assert.ok('$' in JSON.parse(stored), 'Node-RED\'s encrypted form');
    } finally {
      await runtime.stop();
    }
  });

  it('warns at start when the editor listens beyond loopback without authentication', async () => {
    assert.deepEqual(exposureWarnings('127.0.0.1', {}), []);
    assert.equal(exposureWarnings('0.0.0.0', { adminAuth: {}, httpNodeAuth: {}, https: {} }).length, 0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-exposed-'));
    fs.mkdirSync(path.join(dir, 'samples'));
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'bin', 'edge-mlops.js'), 'start', '--host', '0.0.0.0', '--port', '0', '--user-dir', path.join(dir, 'user'), '--samples', path.join(dir, 'samples')], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TEDGE_MQTT_HOST: '127.0.0.1', TEDGE_MQTT_PORT: String(await freePort()), VQI_INBOX: path.join(dir, 'inbox') },
    });
    try {
      let stderr = '';
      let stdout = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
        child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); if (/Node-RED editor:/.test(stdout)) resolve(); });
        child.once('exit', (code) => reject(new Error(`start exited with ${code}: ${stdout}${stderr}`)));
      });
      assert.match(stderr, /WARNING: the Node-RED editor and Admin API listen on 0\.0\.0\.0 without authentication/);
      assert.match(stderr, /httpNodeAuth/);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
