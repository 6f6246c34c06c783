// The model field in the real editor (Chromium): pick a bundled model from the list, upload a generated .onnx into
// the user directory, and read the model card under Inspect.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromiumAvailable, openEditor, type EditorSession } from '../../helpers/editor';
import { repoRoot } from '../../helpers/flow';
import { freeSizeMaskModel } from '../../fixtures/editor-models';

declare const RED: any;
declare const $: any;

describe('mlops-model dialog: model list, upload and model card', function () {
  this.timeout(180000);
  let editor: EditorSession | undefined;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    editor = await openEditor([
      { id: 'tab', type: 'tab', label: 'models' },
      { id: 'model', type: 'mlops-model', path: '', workers: 1 },
      { id: 'infer', type: 'mlops-infer', z: 'tab', model: 'model', x: 200, y: 100, wires: [[]] },
    ], 'infer');
  });
  after(async () => { await editor?.close(); });

  async function openModelDialog(): Promise<void> {
    const page = editor!.page;
    await page.evaluate(() => RED.editor.editConfig('', 'mlops-model', 'model'));
    await page.waitForSelector('#node-config-mlops-model-choose optgroup', { state: 'attached' });
  }
  async function inspect(): Promise<string> {
    const page = editor!.page;
    await page.evaluate(() => $('#node-config-mlops-model-info').empty());
    await page.click('#node-config-mlops-model-inspect');
    await page.waitForFunction(() => /opset|model|file/i.test($('#node-config-mlops-model-info').text()) && !/Reading the model/.test($('#node-config-mlops-model-info').text()));
    return (await page.textContent('#node-config-mlops-model-info')) ?? '';
  }

  it('picks a bundled model from the list and shows its card (version, sha256, precision, labels)', async () => {
    const page = editor!.page;
    await openModelDialog();
    const bundled = await page.$$eval('#node-config-mlops-model-choose optgroup[label^="bundled"] option', (list) => list.map((o) => o.getAttribute('value')));
    assert.deepEqual(bundled, ['bundled:aps-demo.onnx', 'bundled:vqi-demo.onnx']);
    await page.selectOption('#node-config-mlops-model-choose', 'bundled:vqi-demo.onnx');
    assert.equal(await page.inputValue('#node-config-input-path'), 'bundled:vqi-demo.onnx');
    const text = await inspect();
    const card = JSON.parse(fs.readFileSync(path.join(repoRoot, 'models', 'vqi-demo.card.json'), 'utf8')) as { sha256: string };
    assert.match(text, /Model card: vqi-demo/);
    assert.match(text, /version 1\.0\.0/);
    assert.ok(text.includes(`sha256 ${card.sha256}`), text);
    assert.match(text, /precision fp32/);
    assert.match(text, /labels: background, tower, cable, rust/);
  });

  it('uploads a generated .onnx into the user directory, selects it and shows its card; a second upload of the name is refused', async () => {
    const page = editor!.page;
    const model = freeSizeMaskModel({ version: '0.2.0' });
    await page.setInputFiles('#node-config-mlops-model-file', { name: 'mask.onnx', mimeType: 'application/octet-stream', buffer: model });
    await page.waitForFunction(() => /Uploaded as/.test($('#node-config-mlops-model-upload-status').text()));
    assert.equal(await page.inputValue('#node-config-input-path'), 'models/mask.onnx');
    assert.deepEqual(fs.readFileSync(path.join(editor!.userDir, 'models', 'mask.onnx')), model);
    const text = await inspect();
    assert.match(text, /version 0\.2\.0/);
    assert.ok(text.includes(`sha256 ${crypto.createHash('sha256').update(model).digest('hex')}`), text);
    assert.match(text, /labels: none/);
    assert.match(text, /image: float32 \[1, 3, height, width\]/);
    const uploaded = await page.$$eval('#node-config-mlops-model-choose optgroup[label^="uploaded"] option', (list) => list.map((o) => o.getAttribute('value')));
    assert.deepEqual(uploaded, ['models/mask.onnx']);

    await page.setInputFiles('#node-config-mlops-model-file', { name: 'mask.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('other') });
    await page.waitForFunction(() => /already in the user directory/.test($('#node-config-mlops-model-upload-status').text()));
    assert.deepEqual(fs.readFileSync(path.join(editor!.userDir, 'models', 'mask.onnx')), model);
  });

  it('says once that a file is not an ONNX model', async () => {
    const page = editor!.page;
    fs.writeFileSync(path.join(editor!.userDir, 'readme.onnx'), 'a README saved with the wrong name');
    await page.fill('#node-config-input-path', 'readme.onnx');
    const text = await inspect();
    assert.equal(text.match(/not an ONNX model/g)?.length, 1, text);
    assert.deepEqual(editor!.scriptErrors, []);
  });
});
