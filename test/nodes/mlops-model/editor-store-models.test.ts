// The model store in the real editor (Chromium): the mlops-model dialog offers the store's models from
// GET edge-mlops/store-models, and Inspect describes a store:<name> model.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ModelStore } from '../../../lib/model-store';
import { chromiumAvailable, openEditor, type EditorSession } from '../../helpers/editor';
import { offsetModel, tempDir, writeDownload } from '../../fixtures/store-models';

declare const RED: any;
declare const $: any;

describe('mlops-model dialog with a model store', function () {
  this.timeout(180000);
  let editor: EditorSession | undefined;
  let dir: string;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    dir = tempDir('mlops-editor-store-');
    const store = new ModelStore(path.join(dir, 'store'));
    await store.install('insulator', '1.0', writeDownload(dir, 'a', offsetModel(1)));
    await store.install('insulator', '2.0', writeDownload(dir, 'b', offsetModel(2)));
    editor = await openEditor([
      { id: 'tab', type: 'tab', label: 'store' },
      { id: 'model', type: 'mlops-model', path: 'store:insulator', workers: 1 },
      { id: 'infer', type: 'mlops-infer', z: 'tab', model: 'model', x: 200, y: 100, wires: [[]] },
    ], 'infer', { EDGE_MLOPS_MODEL_STORE: store.root });
  });
  after(async () => {
    await editor?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('offers store:<name> (following the active version) and each pinned version, and inspects the active one', async () => {
    const page = editor!.page;
    await page.evaluate(() => RED.editor.editConfig('', 'mlops-model', 'model'));
    await page.waitForSelector('#node-config-mlops-model-store option', { state: 'attached' });
    const options = await page.$$eval('#node-config-mlops-model-store option', (list) => list.map((o) => [o.getAttribute('value'), o.textContent]));
    assert.deepEqual(options, [
      ['store:insulator', 'follows the active version (now 2.0)'],
      ['store:insulator@1.0', 'this version only'],
      ['store:insulator@2.0', 'this version only'],
    ]);
    assert.equal(await page.getAttribute('#node-config-input-path', 'list'), 'node-config-mlops-model-store');
    await page.click('#node-config-mlops-model-inspect');
    await page.waitForFunction(() => /opset/.test($('#node-config-mlops-model-info').text()));
    const text = await page.textContent('#node-config-mlops-model-info');
    assert.match(text ?? '', /insulator\/2\.0\/model\.onnx/);
    assert.match(text ?? '', /x: float32 \[1, 4\]/);
    assert.deepEqual(editor!.scriptErrors, []);
  });
});
