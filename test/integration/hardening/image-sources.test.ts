// Issue 10 items 7 and 8 at the mlops-image node (real Node-RED runtime, real sharp):
// 8 – a URL or file path in msg.payload must not make the device open it unless the node allows it (SSRF through
//     the example's POST /vqi/inspect with a text/plain URL body); error texts do not echo fetched content or bodies.
// 7 – with a model and "Max in progress", a saturated pipeline refuses before reading or decoding ('pipeline-busy').
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Admission, releaseAdmission } from '../../../lib/inference/admission';
import { catchNode, nextMessage, nodeModule, repoRoot, testHelper, withCatch } from '../../helpers/flow';

const JPEG = fs.readFileSync(path.join(repoRoot, 'samples', 'tower-rusty.jpg'));

async function server(answer: (res: http.ServerResponse) => void): Promise<{ url: string; hits: number; close(): Promise<void> }> {
  const state = { hits: 0 };
  const s = http.createServer((_req, res) => { state.hits++; answer(res); });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    get hits() { return state.hits; },
    close: () => new Promise((resolve) => s.close(() => resolve())),
  };
}

describe('hardening: what a message may make mlops-image do', function () {
  this.timeout(20000);
  let camera: Awaited<ReturnType<typeof server>>;
  let internal: Awaited<ReturnType<typeof server>>;
  before(async () => {
    camera = await server((res) => { res.writeHead(200, { 'content-type': 'image/jpeg' }); res.end(JPEG); });
    internal = await server((res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>internal admin console: secret-token-123</html>'); });
  });
  after(async () => { await camera.close(); await internal.close(); await testHelper.unload(); });
  afterEach(() => testHelper.unload());

  const load = (image: Record<string, unknown>) => testHelper.load([nodeModule('mlops-image'), catchNode], withCatch({ id: 'img', type: 'mlops-image', ...image }));
  async function caughtFor(msg: object): Promise<{ message: string; code: string }> {
    const caught = nextMessage('caught');
    testHelper.getNode('img').receive(msg);
    return (await caught).error;
  }

  it('fetches no URL by default', async () => {
    await load({});
    const error = await caughtFor({ payload: `${internal.url}/admin` });
    assert.equal(error.code, 'urls-disabled');
    assert.equal(internal.hits, 0);
  });

  it('fetches only from the listed hosts, and does not repeat what a URL answered', async () => {
    const cameraHost = new URL(camera.url).host;
    await load({ allowUrls: true, urlHosts: cameraHost });
    const out = nextMessage('out');
    testHelper.getNode('img').receive({ payload: `${camera.url}/snapshot.jpg` });
    assert.equal((await out).image.format, 'jpeg');
    const refused = await caughtFor({ payload: `${internal.url}/admin` });
    assert.equal(refused.code, 'url-not-allowed');
    assert.equal(internal.hits, 0);
    await testHelper.unload();
    await load({ allowUrls: true, urlHosts: `${cameraHost}, ${new URL(internal.url).host}` });
    const notImage = await caughtFor({ payload: `${internal.url}/admin` });
    assert.equal(notImage.code, 'not-an-image');
    assert.ok(!/secret-token|internal admin|<html/.test(notImage.message), notImage.message);
  });

  it('refuses an allow-list that is empty while URLs are on', async () => {
    await load({ allowUrls: true, urlHosts: ' ' });
    assert.equal((await caughtFor({ payload: JPEG })).code, 'bad-setting');
  });

  it('takes only bytes from HTTP requests, and does not echo a 2 MB body', async () => {
    await load({ baseDir: repoRoot, allowUrls: true, urlHosts: new URL(internal.url).host });
    const hitsBefore = internal.hits;
    for (const payload of [`${internal.url}/admin`, 'samples/tower-rusty.jpg']) {
      const error = await caughtFor({ payload, req: { method: 'POST' } });
      assert.equal(error.code, 'http-bytes-only', payload);
    }
    assert.equal(internal.hits, hitsBefore);
    const out = nextMessage('out');
    testHelper.getNode('img').receive({ payload: JPEG, req: { method: 'POST' } });
    assert.equal((await out).image.format, 'jpeg');
    const error = await caughtFor({ payload: 'x'.repeat(2 * 1024 * 1024) });
    assert.ok(error.message.length < 1000, `error text of ${error.message.length} characters`);
  });

  it('refuses before decoding once "Max in progress" messages are on their way to the model', async () => {
    await load({ model: 'model-under-load', maxInFlight: 2 });
    const passed: { _msgid: string }[] = [];
    for (let n = 0; n < 2; n++) {
      const out = nextMessage('out');
      testHelper.getNode('img').receive({ payload: JPEG });
      passed.push(await out);
    }
    // Not even looked at: garbage bytes get 'pipeline-busy', not 'not-an-image'.
    const busy = await caughtFor({ payload: Buffer.from('garbage') });
    assert.equal(busy.code, 'pipeline-busy');
    assert.match(busy.message, /2 of 2 messages in progress/);
    releaseAdmission('model-under-load', passed[0]!._msgid);
    assert.equal((await caughtFor({ payload: Buffer.from('garbage') })).code, 'not-an-image');
  });

  it('forgets an admitted message that never reached the model after the stale time', () => {
    const admission = new Admission(1000);
    admission.admit('a', 1, 0);
    assert.throws(() => admission.admit('b', 1, 999), (err: Error & { code?: string }) => err.code === 'pipeline-busy');
    admission.admit('b', 1, 1000);
    assert.deepEqual([admission.inFlight, admission.refused], [1, 1]);
  });

  it('suggests a Retry-After that follows the pace at which messages leave', () => {
    const admission = new Admission();
    assert.equal(admission.retryAfterS(6), 1, 'nothing known yet: the minimum');
    for (let n = 0; n < 10; n++) admission.admit(`m${n}`, 100, 0);
    for (let n = 0; n < 10; n++) admission.release(`m${n}`, n * 1000); // one per second
    assert.equal(admission.retryAfterS(6), 6);
    assert.equal(admission.retryAfterS(100), 30, 'capped');
  });
});
