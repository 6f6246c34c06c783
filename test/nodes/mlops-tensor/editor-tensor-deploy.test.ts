// mlops-tensor through the real editor (Chromium): a node dragged from the palette, set up in its dialog, wired and
// deployed with the editor's Deploy button, turns a picture into a tensor of the chosen resize mode; a node from a
// flow saved before the rename (`resize`, which the editor overwrites with its redraw flag) keeps its mode through
// an editor deploy. Before the rename the first Deploy broke every pipeline.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { quadrants, raw } from '../../fixtures/images';
import { chromiumAvailable, openEditor, type EditorSession } from '../../helpers/editor';
import { deployedFlow, deployFromEditor, dragFromPalette, openDialog, pressDone, wire } from '../../helpers/editor-actions';

const summary = 'msg.payload = { geometry: msg.tensor.geometry, dims: msg.tensor.dims }; return msg;';
const failure = 'msg.statusCode = 400; msg.payload = { error: msg.error.message }; return msg;';
const imageSettings = { maxMegabytes: 25, maxMegapixels: 50, timeout: 10, decoder: 'auto', alpha: 'flatten', background: '#ffffff', damaged: 'refuse' };
const flow = [
  { id: 'probe', type: 'tab', label: 'probe' },
  { id: 'in-new', type: 'http in', z: 'probe', url: '/probe/new', method: 'post', upload: false, x: 120, y: 60, wires: [['image-new']] },
  { id: 'image-new', type: 'mlops-image', z: 'probe', ...imageSettings, x: 300, y: 60, wires: [[]] },
  { id: 'summary-new', type: 'function', z: 'probe', func: summary, outputs: 1, x: 700, y: 60, wires: [['response']] },
  { id: 'in-old', type: 'http in', z: 'probe', url: '/probe/old', method: 'post', upload: false, x: 120, y: 260, wires: [['image-old']] },
  { id: 'image-old', type: 'mlops-image', z: 'probe', ...imageSettings, x: 300, y: 260, wires: [['tensor-old']] },
  // As saved by 0.1: the setting under its old name.
  { id: 'tensor-old', type: 'mlops-tensor', z: 'probe', name: '', width: '32', height: '32', resize: 'contain', x: 500, y: 260, wires: [['summary-old']] },
  { id: 'summary-old', type: 'function', z: 'probe', func: summary, outputs: 1, x: 700, y: 260, wires: [['response']] },
  { id: 'catch', type: 'catch', z: 'probe', scope: null, uncaught: false, x: 120, y: 360, wires: [['failure']] },
  { id: 'failure', type: 'function', z: 'probe', func: failure, outputs: 1, x: 300, y: 360, wires: [['response']] },
  { id: 'response', type: 'http response', z: 'probe', x: 900, y: 160, wires: [] },
];

describe('mlops-tensor deployed from the editor', function () {
  this.timeout(120000);
  let editor: EditorSession | undefined;
  let page: Page;
  let picture: Buffer;

  async function inspect(route: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${editor!.url}${route}`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: picture });
    return { status: res.status, body: await res.json() };
  }

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    picture = await raw(quadrants(64, 32), 64, 32).png().toBuffer();
    editor = await openEditor(flow, 'tensor-old');
    page = editor.page;
  });
  after(async () => {
    await editor?.close();
  });

  it('a tensor node from the palette, set to "cover" in its dialog, works after Deploy', async () => {
    const tensor = await dragFromPalette(page, 'mlops-tensor', 500, 60);
    await openDialog(page, tensor);
    await page.fill('#node-input-width', '32');
    await page.fill('#node-input-height', '32');
    await page.selectOption('#node-input-resizeMode', 'cover');
    await pressDone(page);
    await wire(page, 'image-new', tensor);
    await wire(page, tensor, 'summary-new');
    await deployFromEditor(page);

    const deployed = (await deployedFlow(editor!.url)).find((n) => n.id === tensor)!;
    assert.equal(deployed.resizeMode, 'cover');
    assert.equal('resize' in deployed, false, 'the editor writes no `resize` into the flow');
    const { status, body } = await inspect('/probe/new');
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.dims, [1, 3, 32, 32]);
    assert.deepEqual(body.geometry, { sourceWidth: 64, sourceHeight: 32, width: 32, height: 32, scaleX: 1, scaleY: 1, padLeft: -16, padTop: 0, resize: 'cover' });
  });

  it('a tensor node saved with the old `resize: "contain"` shows and keeps contain through an editor Deploy', async () => {
    assert.equal(await page.evaluate(() => (globalThis as any).RED.nodes.node('tensor-old').resizeMode), 'contain', 'adopted when the flow loaded');
    await openDialog(page, 'tensor-old');
    assert.equal(await page.inputValue('#node-input-resizeMode'), 'contain');
    await page.fill('#node-input-name', 'old tensor');
    await pressDone(page);
    await deployFromEditor(page);

    const deployed = (await deployedFlow(editor!.url)).find((n) => n.id === 'tensor-old')!;
    assert.deepEqual([deployed.name, deployed.resizeMode, 'resize' in deployed], ['old tensor', 'contain', false]);
    const { status, body } = await inspect('/probe/old');
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.geometry, { sourceWidth: 64, sourceHeight: 32, width: 32, height: 32, scaleX: 0.5, scaleY: 0.5, padLeft: 0, padTop: 8, resize: 'contain' });
  });

  it('raised no script error in the editor', () => {
    assert.deepEqual(editor!.scriptErrors, []);
  });
});
