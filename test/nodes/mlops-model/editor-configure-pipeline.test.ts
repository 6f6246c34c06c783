// "Configure the pipeline from this model" in the real editor (Chromium): a model with free height and width and no
// labels; the dialog asks for the size and the labels, fills the linked tensor and segment nodes, says what it could
// not decide; then Deploy from the editor and a picture through the pipeline gives a segmentation.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromiumAvailable, openEditor, type EditorSession } from '../../helpers/editor';
import { deployFromEditor, deployedFlow, openConfigFromDialog, openDialog, pressDone, pressUpdate } from '../../helpers/editor-actions';
import { repoRoot } from '../../helpers/flow';
import { freeSizeMaskModel } from '../../fixtures/editor-models';

declare const RED: any;

const picture = fs.readFileSync(path.join(repoRoot, 'samples', 'tower-rusty.jpg'));

describe('mlops-model dialog: configure the pipeline from the model', function () {
  this.timeout(240000);
  let editor: EditorSession | undefined;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    editor = await openEditor([
      { id: 'tab', type: 'tab', label: 'mask' },
      { id: 'in', type: 'http in', z: 'tab', url: '/mask', method: 'post', x: 100, y: 100, wires: [['image']] },
      { id: 'image', type: 'mlops-image', z: 'tab', maxMegabytes: 25, maxMegapixels: 50, timeout: 10, x: 250, y: 100, wires: [['tensor']] },
      { id: 'tensor', type: 'mlops-tensor', z: 'tab', name: 'to tensor', x: 400, y: 100, wires: [['infer']] },
      { id: 'infer', type: 'mlops-infer', z: 'tab', model: 'm', queueSize: 4, x: 550, y: 100, wires: [['segment']] },
      { id: 'segment', type: 'mlops-segment', z: 'tab', overlay: false, threshold: 0.5, minArea: 0, maxComponents: 100, opacity: 0.5, x: 700, y: 100, wires: [['answer']] },
      { id: 'answer', type: 'change', z: 'tab', x: 850, y: 100, rules: [
        { t: 'set', p: 'payload', pt: 'msg', to: '{"labels": segmentation.labels, "dims": tensor.dims}', tot: 'jsonata' }], wires: [['out']] },
      { id: 'out', type: 'http response', z: 'tab', x: 1000, y: 100, wires: [] },
      { id: 'm', type: 'mlops-model', path: 'models/mask.onnx', workers: 1, intraOpThreads: 0 },
    ], 'infer');
  });
  after(async () => { await editor?.close(); });

  it('asks for the size and labels, fills the tensor and segment nodes, reports the rest; deployed, a picture is segmented', async () => {
    const page = editor!.page;
    // The model arrives after the flow started (as an upload would): the dialog lists and inspects it.
    fs.mkdirSync(path.join(editor!.userDir, 'models'), { recursive: true });
    fs.writeFileSync(path.join(editor!.userDir, 'models', 'mask.onnx'), freeSizeMaskModel());
    await page.evaluate(() => RED.editor.editConfig('', 'mlops-model', 'm'));
    await page.click('#node-config-mlops-model-inspect');
    await page.click('#node-config-mlops-model-configure');
    await page.waitForSelector('#node-config-mlops-model-plan-apply');
    assert.equal(await page.inputValue('#node-config-mlops-model-plan-labels'), 'background, object');
    const first = (await page.textContent('.mlops-model-plan-undecided')) ?? '';
    assert.match(first, /height and width are free/);
    assert.match(first, /no labels/);
    await page.fill('#node-config-mlops-model-plan-width', '64');
    await page.fill('#node-config-mlops-model-plan-height', '48');
    await page.fill('#node-config-mlops-model-plan-labels', 'crack');
    await page.click('#node-config-mlops-model-plan-apply');
    await page.waitForSelector('.mlops-model-plan-filled');
    const filled = (await page.textContent('.mlops-model-plan-filled')) ?? '';
    assert.match(filled, /to tensor: model = m, layout = NCHW, width = 64, height = 48, dataType = float32/);
    assert.match(filled, /mlops-segment: model = m, singleChannel = probability, labels = crack/);
    const undecided = (await page.textContent('.mlops-model-plan-undecided')) ?? '';
    assert.match(undecided, /no color_order in the metadata: RGB is assumed/);
    assert.match(undecided, /no mean, std or scale in the metadata/);
    assert.doesNotMatch(undecided, /height and width are free|no labels/);
    assert.match((await page.textContent('#node-config-mlops-model-plan')) ?? '', /singleChannel: probabilities \(values [\d.e-]+ … [\d.e-]+\) \(sample run\)/);
    const inEditor = await page.evaluate(() => {
      const t = RED.nodes.node('tensor');
      const s = RED.nodes.node('segment');
      return { width: t.width, height: t.height, model: t.model, labels: s.labels, singleChannel: s.singleChannel, changed: t.changed };
    });
    assert.deepEqual(inEditor, { width: '64', height: '48', model: 'm', labels: 'crack', singleChannel: 'probability', changed: true });
    await pressUpdate(page);

    await deployFromEditor(page);
    const deployed = await deployedFlow(editor!.url);
    assert.equal(deployed.find((n) => n.id === 'tensor')!.width, '64');
    const res = await fetch(`${editor!.url}/mask`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: picture });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { labels: ['background', 'crack'], dims: [1, 3, 48, 64] });
    assert.deepEqual(editor!.scriptErrors, []);
  });


  it("fills the form of a node whose dialog is open under the model's (opened with its pencil), so Done keeps the values", async () => {
    const page = editor!.page;
    await openDialog(page, 'tensor');
    await openConfigFromDialog(page, 'model');
    await page.click('#node-config-mlops-model-inspect');
    await page.click('#node-config-mlops-model-configure');
    await page.waitForSelector('#node-config-mlops-model-plan-apply');
    // The labels the segment node already has are offered, not the generic ones.
    assert.equal(await page.inputValue('#node-config-mlops-model-plan-labels'), 'crack');
    await page.fill('#node-config-mlops-model-plan-width', '32');
    await page.fill('#node-config-mlops-model-plan-height', '24');
    await page.click('#node-config-mlops-model-plan-apply');
    await page.waitForSelector('.mlops-model-plan-filled');
    assert.match((await page.textContent('.mlops-model-plan-filled')) ?? '', /to tensor: width = 32, height = 24/);
    await pressUpdate(page);
    assert.deepEqual([await page.inputValue('#node-input-width'), await page.inputValue('#node-input-height')], ['32', '24']);
    await pressDone(page);
    assert.deepEqual(await page.evaluate(() => [RED.nodes.node('tensor').width, RED.nodes.node('tensor').height]), ['32', '24']);
    await deployFromEditor(page);
    const res = await fetch(`${editor!.url}/mask`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: picture });
    assert.deepEqual((await res.json() as { dims: number[] }).dims, [1, 3, 24, 32]);
  });
});
