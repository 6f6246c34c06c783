// The VQI example on npm start's runtime (a child process), against hostile requests to POST /vqi/inspect:
// item 6 – one 300 MB POST took the runtime from 307 to 885 MB RSS, and it stayed there;
// item 8 – a text/plain body holding a URL made the device fetch it, a 2 MB text body got a 4 MB error reply;
// item 7 – overload answered 400 for refused requests; now 503 with Retry-After and code pipeline-busy;
// item 1 – ?asset=x%0Ab wedged store and forward for good.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { bodyValue } from '../../../lib/http/body-limit';
import { repoRoot } from '../../helpers/flow';
import { streamUpload as upload } from '../../helpers/stream-upload';
import { useThinEdgeSide, useVqiRuntime } from '../../helpers/vqi-example';

const MB = 1024 * 1024;

function rssBytes(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

describe('hardening: the VQI example under hostile requests (npm start runtime)', function () {
  this.timeout(120000);
  const side = useThinEdgeSide();
  const vqi = useVqiRuntime(side);
  const post = (query: string, body: Buffer | string, type = 'image/jpeg') =>
    fetch(`${vqi.runtime.url}/vqi/inspect?${query}`, { method: 'POST', headers: { 'content-type': type }, body });

  it('does not fetch a URL sent as a text/plain body, and answers a 2 MB text body briefly', async () => {
    let hits = 0;
    const internal = http.createServer((_req, res) => { hits++; res.end('secret'); });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
    try {
      const res = await post('asset=ssrf', `http://127.0.0.1:${(internal.address() as { port: number }).port}/admin`, 'text/plain');
      const body = (await res.json()) as { code: string };
      assert.equal(res.status, 400);
      assert.equal(body.code, 'http-bytes-only');
      assert.equal(hits, 0);
    } finally {
      internal.close();
    }
    const big = await post('asset=text', 'x'.repeat(2 * MB), 'text/plain');
    assert.equal(big.status, 400);
    assert.ok((await big.text()).length < 2000);
  });

  it('answers overload with 503, Retry-After and pipeline-busy, and every admitted picture correctly', async () => {
    const jpeg = fs.readFileSync(path.join(repoRoot, 'samples', 'tower-rusty.jpg'));
    const answers = await Promise.all(Array.from({ length: 16 }, (_, n) => post(`asset=load-${n}`, jpeg).then(async (res) => ({
      status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { state?: string; code?: string },
    }))));
    for (const answer of answers) {
      if (answer.status === 503) assert.ok(Number(answer.retryAfter) >= 1 && answer.body.code === 'pipeline-busy', JSON.stringify(answer));
      else assert.deepEqual([answer.status, answer.body.state], [200, 'CRITICAL'], JSON.stringify(answer));
    }
    assert.ok(answers.some((a) => a.status === 200));
  });

  it('keeps delivering to thin-edge after a request with a control character in the asset id', async () => {
    const jpeg = fs.readFileSync(path.join(repoRoot, 'samples', 'tower-rusty.jpg'));
    await post('asset=x%0Ab', jpeg);
    await post('asset=x%7Fb', jpeg);
    const res = await post('asset=after-bad', jpeg);
    assert.equal(res.status, 200);
    await side.recorder.waitFor((all) => all.some((m) => m.topic === 'te/device/after-bad///a/mlops_AssetCondition'), 'the alarm of the asset after the bad ones', 30000);
    assert.deepEqual(side.recorder.messages.filter((m) => m.topic.startsWith('te/device/x')), []);
  });

  it('answers 413 to a declared 300 MB body before reading it', async () => {
    const answer = await upload(`${vqi.runtime.url}/vqi/inspect?asset=big`, 300 * MB, true);
    assert.equal(answer.status, 413);
    assert.match(answer.body, /larger than 26214400 bytes/);
  });

  it('answers 413 to a chunked 300 MB body after the limit, without buffering the rest', async () => {
    const before = rssBytes(vqi.runtime.child.pid!);
    const answers = await Promise.all([1, 2, 3].map(() => upload(`${vqi.runtime.url}/vqi/inspect?asset=big`, 300 * MB, false)));
    for (const answer of answers) {
      assert.ok(answer.status === 413 || answer.status === 0, `answered ${answer.status}`);
      assert.ok(answer.sent < 150 * MB, `the runtime stopped reading: ${Math.round(answer.sent / MB)} MB were sent of 300`);
    }
    const grown = rssBytes(vqi.runtime.child.pid!) - before;
    // Three uncapped bodies would hold 900 MB; capped, at most 3 × 25 MB are buffered at any time.
    assert.ok(grown < 250 * MB, `RSS grew by ${Math.round(grown / MB)} MB`);
  });

  it('still serves a picture within the limit', async () => {
    const res = await fetch(`${vqi.runtime.url}/vqi/inspect?asset=tower-8`, {
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
