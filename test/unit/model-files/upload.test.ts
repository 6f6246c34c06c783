// Uploading an .onnx file from the editor into <userDir>/models: hostile names, content types, sizes and contents.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isPipelineError } from '../../../lib/errors';
import { checkUploadName, receiveUpload, uploadedModels, type UploadOptions } from '../../../lib/model-files';
import { freeSizeMaskModel } from '../../fixtures/editor-models';

const OCTETS = 'application/octet-stream';

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isPipelineError(err), `not a PipelineError: ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail('the upload was accepted');
}

/** Bytes sent in 1 KiB chunks, read lazily: a stream as long as `total` that is never held whole. */
function lazyBody(total: number, fill = 0x41): Readable & { produced: number } {
  const stream = new Readable({
    read() {
      const size = Math.min(1024, total - stream.produced);
      if (size <= 0) return this.push(null);
      stream.produced += size;
      this.push(Buffer.alloc(size, fill));
    },
  }) as Readable & { produced: number };
  stream.produced = 0;
  return stream;
}

describe('model upload into the user directory', () => {
  let userDir: string;
  const model = freeSizeMaskModel({ name: 'mask', version: '0.1.0' });
  const options = (name: unknown, extra: Partial<UploadOptions> = {}): UploadOptions => ({ userDir, name, contentType: OCTETS, ...extra });
  /** Everything in the user directory, so a test sees any file an upload left behind, hidden ones included. */
  const everything = () => fs.readdirSync(userDir, { recursive: true, encoding: 'utf8' }).sort();

  beforeEach(() => { userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-upload-')); });
  afterEach(() => fs.rmSync(userDir, { recursive: true, force: true }));

  it('writes a valid model to models/<name> and answers with its reference, size and sha256', async () => {
    const uploaded = await receiveUpload(Readable.from([model.subarray(0, 10), model.subarray(10)]), options('Mask v1.onnx'));
    assert.equal(uploaded.ref, 'models/Mask v1.onnx');
    assert.deepEqual(fs.readFileSync(path.join(userDir, 'models', 'Mask v1.onnx')), model);
    assert.equal(uploaded.bytes, model.length);
    assert.equal(uploaded.sha256, crypto.createHash('sha256').update(model).digest('hex'));
    assert.equal(uploaded.info.metadata.version, '0.1.0');
    assert.deepEqual(everything(), ['models', 'models/Mask v1.onnx']);
    assert.deepEqual(uploadedModels(userDir).map((m) => m.ref), ['models/Mask v1.onnx']);
  });

  it('refuses names that leave the folder, hide, carry control characters or are not .onnx, before writing anything', async () => {
    const names: unknown[] = ['../evil.onnx', '../../etc/passwd.onnx', 'a/b.onnx', 'a\\b.onnx', '..onnx', '.hidden.onnx', 'x\u0000.onnx',
      'x\n.onnx', 'x\r\nSet-Cookie: a.onnx', 'x\u001b[31m.onnx', 'model.txt', 'model.onnx.exe', '', '   ', `${'a'.repeat(200)}.onnx`,
      'modèle.onnx', undefined, 42, ['a.onnx']];
    for (const name of names) {
      const { code, message } = await refusal(receiveUpload(Readable.from([model]), options(name)));
      assert.equal(code, 'bad-upload-name', String(name));
      assert.ok([...message].every((c) => c.charCodeAt(0) >= 0x20), `the message carries a control character for ${JSON.stringify(name)}`);
    }
    assert.deepEqual(everything(), []);
  });

  it('accepts only application/octet-stream', async () => {
    for (const type of ['application/json', 'multipart/form-data; boundary=x', 'text/plain', '', undefined, 'application/octet-streamx']) {
      assert.equal((await refusal(receiveUpload(Readable.from([model]), options('m.onnx', { contentType: type })))).code, 'upload-content-type', String(type));
    }
    assert.equal((await receiveUpload(Readable.from([model]), options('m.onnx', { contentType: 'Application/Octet-Stream; charset=binary' }))).ref, 'models/m.onnx');
  });

  it('refuses a body announced as too large without reading it', async () => {
    const body = lazyBody(10 * 1024 * 1024);
    const { code } = await refusal(receiveUpload(body, options('big.onnx', { maxBytes: 4096, declaredBytes: String(10 * 1024 * 1024) })));
    assert.equal(code, 'upload-too-large');
    assert.equal(body.produced, 0);
    assert.deepEqual(everything(), []);
  });

  it('stops a body that grows past the limit without a length announced, and leaves no partial file', async () => {
    const body = lazyBody(1024 * 1024 * 1024); // 1 GiB if it were read to the end
    const { code, message } = await refusal(receiveUpload(body, options('big.onnx', { maxBytes: 64 * 1024 })));
    assert.equal(code, 'upload-too-large');
    assert.match(message, /65536 bytes/);
    // What streams buffer ahead of the limit scales with their high-water mark (16 KiB on Node 20, 64 KiB on Node 22):
    // a few buffers past the limit, never the gigabyte.
    const buffered = 4 * body.readableHighWaterMark;
    assert.ok(body.produced <= 64 * 1024 + buffered, `read ${body.produced} bytes before stopping (limit 65536 + ${buffered} buffered)`);
    assert.deepEqual(everything(), ['models']);
  });

  it('refuses files that are not ONNX models (text, an image, empty, cut short), keeping nothing', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const cases: [Buffer, string][] = [
      [Buffer.from('this is a README saved with the wrong name'), 'not-onnx'],
      [png, 'not-onnx'],
      [Buffer.alloc(0), 'not-onnx'],
      [model.subarray(0, Math.floor(model.length * 0.6)), 'model-truncated'],
    ];
    for (const [bytes, expected] of cases) {
      const { code, message } = await refusal(receiveUpload(Readable.from([bytes]), options('x.onnx')));
      assert.equal(code, expected, message);
      assert.ok((message.match(/not an ONNX model/g)?.length ?? 0) <= 1, message);
    }
    assert.deepEqual(everything(), ['models']);
  });

  it('never overwrites an existing model, also when two uploads of one name race', async () => {
    fs.mkdirSync(path.join(userDir, 'models'));
    fs.writeFileSync(path.join(userDir, 'models', 'kept.onnx'), 'the user\'s own model');
    assert.equal((await refusal(receiveUpload(Readable.from([model]), options('kept.onnx')))).code, 'model-exists');
    assert.equal(fs.readFileSync(path.join(userDir, 'models', 'kept.onnx'), 'utf8'), 'the user\'s own model');
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => receiveUpload(Readable.from([model]), options('race.onnx'))));
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    assert.deepEqual(outcomes.flatMap((o) => (o.status === 'rejected' && isPipelineError(o.reason) ? [o.reason.code] : [])), ['model-exists', 'model-exists']);
    assert.deepEqual(everything(), ['models', 'models/kept.onnx', 'models/race.onnx']);
  });

  it('says an interrupted upload was interrupted and keeps nothing of it', async () => {
    const body = new Readable({ read() {} });
    const pending = receiveUpload(body, options('cut.onnx'));
    body.push(model.subarray(0, 100));
    setImmediate(() => body.destroy(new Error('aborted')));
    assert.equal((await refusal(pending)).code, 'upload-aborted');
    // Interrupted before the upload even had its folder.
    const early = new Readable({ read() {} });
    const refused = refusal(receiveUpload(early, options('early.onnx')));
    early.destroy(new Error('aborted'));
    assert.equal((await refused).code, 'upload-aborted');
    assert.deepEqual(everything(), ['models']);
  });

  it('checkUploadName gives the name back when it is plain', () => {
    assert.equal(checkUploadName('vqi-demo_2.1.onnx'), 'vqi-demo_2.1.onnx');
  });
});
