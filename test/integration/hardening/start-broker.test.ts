// Issue 10 item 2: `edge-mlops start` must never put its embedded broker on thin-edge's port.
// Reproduction: the runtime restarts while mosquitto is down; start took the port with aedes, the queued data
// drained into aedes and mosquitto could not start again ("Address already in use").
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { mayEmbedBroker, thinEdgeEvidence } from '../../../bin/runtime/broker';
import { repoRoot } from '../../helpers/flow';
import { freePort, Mosquitto, Recorder } from '../../helpers/mosquitto';

describe('hardening: edge-mlops start and thin-edge\'s broker port', function () {
  this.timeout(90000);

  it('embeds a broker only when asked or when no thin-edge is configured', () => {
    const none = { env: { PATH: '/usr/bin' }, tedgeInstalled: false };
    assert.equal(mayEmbedBroker({ ...none, embeddedRequested: false }), true);
    assert.equal(mayEmbedBroker({ ...none, env: { TEDGE_MQTT_PORT: '1883' }, embeddedRequested: false }), false);
    assert.equal(mayEmbedBroker({ ...none, env: { TEDGE_MQTT_HOST: '10.0.0.2' }, embeddedRequested: false }), false);
    assert.equal(mayEmbedBroker({ ...none, tedgeInstalled: true, embeddedRequested: false }), false);
    assert.equal(mayEmbedBroker({ ...none, tedgeInstalled: true, embeddedRequested: true }), true);
    assert.equal(thinEdgeEvidence({ env: { TEDGE_MQTT_PORT: '1', TEDGE_MQTT_HOST: 'h' }, tedgeInstalled: true }), 'TEDGE_MQTT_HOST, TEDGE_MQTT_PORT set');
  });

  describe('a runtime started while thin-edge\'s mosquitto is down', () => {
    let child: ChildProcess | undefined;
    let broker: Mosquitto | undefined;
    let recorder: Recorder | undefined;
    let dir: string;
    before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-start-')); });
    after(async () => {
      await recorder?.close();
      if (child && child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      await broker?.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('leaves the port to mosquitto, says so, and delivers to mosquitto once it is up', async () => {
      const port = await freePort();
      const samples = path.join(dir, 'no-samples');
      fs.mkdirSync(samples);
      child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'bin', 'edge-mlops.js'), 'start', '--port', '0', '--user-dir', path.join(dir, 'user'), '--samples', samples], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TEDGE_MQTT_HOST: '127.0.0.1', TEDGE_MQTT_PORT: String(port), VQI_INBOX: path.join(dir, 'inbox') },
      });
      const lines: string[] = [];
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      const url = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: child!.stdout! }).on('line', (line) => {
          lines.push(line);
          const match = /^Node-RED editor: (\S+)/.exec(line);
          if (match) resolve(match[1]!);
        });
        child!.once('exit', (code) => reject(new Error(`start exited with ${code}:\n${lines.join('\n')}\n${stderr}`)));
      });
      const brokerLine = lines.find((l) => l.startsWith('MQTT:')) ?? '';
      assert.match(brokerLine, /thin-edge is configured \(TEDGE_MQTT_HOST, TEDGE_MQTT_PORT set\), so the embedded broker is not started/);
      // The port is free for thin-edge's mosquitto (before the fix it failed here: address already in use).
      broker = await Mosquitto.start(port);
      recorder = await Recorder.connect(broker.url, ['te/#']);
      const res = await fetch(`${url}/vqi/inspect?asset=tower-5`, {
        method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: fs.readFileSync(path.join(repoRoot, 'samples', 'tower-rusty.jpg')),
      });
      assert.equal(res.status, 200, res.status === 200 ? '' : await res.text());
      await recorder.waitFor((all) => all.some((m) => m.topic === 'te/device/tower-5///m/mlops_Inspection'), 'tower-5 measurement on mosquitto', 30000);
    });
  });
});
