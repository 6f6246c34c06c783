// Issue 10 item 5: GET /edge-mlops/model-info?path=… in a Node-RED runtime.
// Reproductions: a FIFO froze the runtime (synchronous read), /dev/zero grew memory at ~1 GB/s, ${ANY_ENV_VAR} echoed
// the variable's value in the error, and status codes told which files exist outside the user directory.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspectModelRequest } from '../../../lib/inference/model-info-request';
import { convModel } from '../../fixtures/inference-models';
import { nodeModule, testHelper } from '../../helpers/flow';

describe('hardening: model-info endpoint', function () {
  this.timeout(30000);
  let userDir: string;
  const get = (spec: string) => testHelper.request().get('/edge-mlops/model-info').query({ path: spec });

  before(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-model-info-'));
    fs.copyFileSync(convModel(), path.join(userDir, 'conv.onnx'));
    execFileSync('mkfifo', [path.join(userDir, 'fifo.onnx')]);
    fs.symlinkSync('/dev/zero', path.join(userDir, 'zero.onnx'));
    fs.symlinkSync('/etc/hostname', path.join(userDir, 'escape.onnx'));
    testHelper.settings({ userDir });
    await testHelper.load([nodeModule('mlops-model')], [{ id: 'm', type: 'mlops-model', path: 'conv.onnx' }]);
  });
  after(async () => {
    await testHelper.unload();
    testHelper.settings({ userDir: undefined });
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('describes a model in the user directory and a bundled one', async () => {
    assert.equal((await get('conv.onnx').expect(200)).body.metadata.name, 'conv-demo');
    assert.ok((await get('bundled:vqi-demo.onnx').expect(200)).body.inputs.length > 0);
  });

  it('answers a FIFO at once with 422 (not a regular file) instead of freezing the runtime', async () => {
    const res = await get('fifo.onnx').expect(422);
    assert.equal(res.body.error, 'model-not-file');
  });

  it('refuses /dev/zero and links leaving the user directory with 403', async () => {
    for (const spec of ['/dev/zero', 'zero.onnx', 'escape.onnx', '../../etc/hostname']) {
      assert.equal((await get(spec).expect(403)).body.error, 'path-not-allowed', spec);
    }
  });

  it('never expands ${…} from the request, so no environment value comes back', async () => {
    process.env.MLOPS_HARDENING_SECRET = 's3cr3t-value';
    try {
      const res = await get('${MLOPS_HARDENING_SECRET}/x.onnx').expect(400);
      assert.equal(res.body.error, 'env-in-path');
      assert.ok(!JSON.stringify(res.body).includes('s3cr3t-value'));
    } finally {
      delete process.env.MLOPS_HARDENING_SECRET;
    }
  });

  it('gives the same answer for existing and missing files outside the roots (no existence oracle)', async () => {
    const existing = await get('/etc/hostname');
    const missing = await get('/etc/no-such-file-here');
    assert.deepEqual([existing.status, existing.body.error], [missing.status, missing.body.error]);
    assert.equal(existing.status, 403);
  });

  it('refuses a model above the size limit before reading it', async () => {
    await assert.rejects(inspectModelRequest('conv.onnx', userDir, { maxBytes: 16 }), (err: Error & { code?: string }) => err.code === 'model-too-large');
  });
});
