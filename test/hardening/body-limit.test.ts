// Issue 10 item 6: request bodies capped while they stream in (npm start's runtime, the VQI example flow).
// Reproduction: one 300 MB POST to /vqi/inspect took the runtime from 307 to 885 MB RSS, and it stayed there.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { bodyValue } from '../../lib/http/body-limit';
import { repoRoot } from '../helpers/flow';
import { freePort } from '../helpers/mosquitto';
import { startRuntimeProcess, type RuntimeProcess } from '../helpers/runtime-process';

const MB = 1024 * 1024;

function rssBytes(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

/** Streams up to `total` bytes (chunked, or with a declared length); resolves with the answer and how much was sent. */
function upload(url: string, total: number, declareLength: boolean): Promise<{ status: number; sent: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers: Record<string, string> = { 'content-type': 'image/jpeg' };
    if (declareLength) headers['content-length'] = String(total);
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'POST', headers });
    const chunk = Buffer.alloc(MB, 0xff);
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode!, sent, body }));
      res.on('error', () => resolve({ status: res.statusCode!, sent, body }));
    });
    req.on('error', (err) => { if (!answered) reject(err); });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('hardening: HTTP request bodies are capped while streaming', function () {
  this.timeout(120000);
  let runtime: RuntimeProcess;

  before(async () => {
    runtime = await startRuntimeProcess(path.join(repoRoot, 'examples', 'vqi-inspection.json'), {
      TEDGE_MQTT_HOST: '127.0.0.1', TEDGE_MQTT_PORT: String(await freePort()),
    });
  });
  after(async () => { await runtime?.stop(); });

  it('answers 413 to a declared 300 MB body before reading it', async () => {
    const answer = await upload(`${runtime.url}/vqi/inspect?asset=big`, 300 * MB, true);
    assert.equal(answer.status, 413);
    assert.match(answer.body, /larger than 26214400 bytes/);
  });

  it('answers 413 to a chunked 300 MB body after the limit, without buffering the rest', async () => {
    const before = rssBytes(runtime.child.pid!);
    const answers = await Promise.all([1, 2, 3].map(() => upload(`${runtime.url}/vqi/inspect?asset=big`, 300 * MB, false)));
    for (const answer of answers) {
      assert.equal(answer.status, 413);
      assert.ok(answer.sent < 150 * MB, `the runtime stopped reading: ${Math.round(answer.sent / MB)} MB were sent of 300`);
    }
    const grown = rssBytes(runtime.child.pid!) - before;
    // Three uncapped bodies would hold 900 MB; capped, at most 3 × 25 MB are buffered at any time.
    assert.ok(grown < 250 * MB, `RSS grew by ${Math.round(grown / MB)} MB`);
  });

  it('still serves a picture within the limit', async () => {
    const res = await fetch(`${runtime.url}/vqi/inspect?asset=tower-8`, {
      method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: fs.readFileSync(path.join(repoRoot, 'samples', 'tower-rusty.jpg')),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal((JSON.parse(text) as { state: string }).state, 'CRITICAL');
  });

  it('gives bodies the same form Node-RED\'s own parser does', () => {
    assert.equal(bodyValue('text/plain', Buffer.from('hi')), 'hi');
    assert.equal(bodyValue('', Buffer.from('hi')), 'hi');
    assert.ok(Buffer.isBuffer(bodyValue('image/jpeg', Buffer.from('hi'))));
    assert.ok(Buffer.isBuffer(bodyValue('application/octet-stream', Buffer.from('hi'))));
    assert.equal(bodyValue('application/x-ndjson', Buffer.from('{"a":1}')), '{"a":1}');
    assert.ok(Buffer.isBuffer(bodyValue('application/x-thing', Buffer.from([0xff, 0xfe, 0x00]))));
  });
});
