import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelStore, sha256Of } from '../../../lib/model-store';
import { readModelInfo } from '../../../lib/onnx';
import { quantizeModel } from '../../../lib/quantize';
import { convModel, convSamples } from '../../helpers/quant-models';

describe('int8 models in the model store', function () {
  this.timeout(30000);
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quantize-store-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('installs next to their float source under their own version, traceable by the source sha256', async () => {
    const source = convModel({ metadata: { name: 'segmenter', version: '1.0.0' } });
    const floatFile = path.join(dir, 'segmenter.onnx');
    const int8File = path.join(dir, 'segmenter.int8.onnx');
    fs.writeFileSync(floatFile, source);
    fs.writeFileSync(int8File, (await quantizeModel(source, convSamples(3), { mode: 'static', weightBits: 7 })).model);
    const metadata = readModelInfo(fs.readFileSync(int8File)).metadata;
    assert.equal(metadata.version, '1.0.0-int8.w7');
    assert.equal(metadata.source_version, '1.0.0');
    assert.equal(metadata.source_sha256, sha256Of(source));

    const store = new ModelStore(path.join(dir, 'store'));
    await store.install('segmenter', '1.0.0', floatFile);
    await store.install('segmenter', metadata.version!, int8File);
    const versions = store.versions('segmenter').map((v) => v.version).sort();
    assert.deepEqual(versions, ['1.0.0', '1.0.0-int8.w7']);
    const int8 = store.resolve('segmenter', '1.0.0-int8.w7');
    assert.equal(readModelInfo(fs.readFileSync(int8.modelPath)).metadata.source_sha256, sha256Of(fs.readFileSync(floatFile)));
  });
});
