// checkSaturationInWorker's round trip through its worker (kind 'checked', lib/quantize/worker-protocol.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkSaturationInWorker } from '../../../lib/quantize/saturation-check';
import { convModel } from '../../helpers/quant-models';

describe('quantize: saturation check in a worker', function () {
  this.timeout(30000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-saturation-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const request = (modelPath: string) => ({ modelPath, optimization: 'all' as const, bundledModelsDir: path.join(dir, 'none'), bundledSamplesDir: path.join(dir, 'none') });

  it('reports why nothing was measured for a model without a calibration picture', async () => {
    const model = path.join(dir, 'conv.onnx');
    fs.writeFileSync(model, convModel());
    assert.deepEqual(await checkSaturationInWorker(request(model)), { reason: 'no calibration picture is at hand' });
  });

  it('reports a failure inside the worker as the reason, not a rejection', async () => {
    const check = await checkSaturationInWorker(request(path.join(dir, 'missing.onnx')));
    assert.match(check.reason ?? '', /^the measurement failed: ENOENT/);
  });
});
