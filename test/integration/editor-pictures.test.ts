// Pictures in the real editor (Chromium over a real runtime): a picture posted through an inspection flow shows a
// thumbnail under mlops-image and under mlops-segment (overlay and legend), the "edge ML" sidebar lists the
// inspection with its state, model, flow and timings, every status shows its milliseconds, previews switched off in
// a node's dialog are withdrawn and no more are published for it, and a burst is previewed at most twice a second
// with the last picture shown last. Everything is checked on what the page received over comms, never on time.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumAvailable, openEditor, type EditorSession } from '../helpers/editor';
import { deployFromEditor, openDialog, pressDone, waitForStatus } from '../helpers/editor-actions';
import { repoRoot } from '../helpers/flow';

declare const RED: any;
declare const document: any;

const picture = fs.readFileSync(path.join(repoRoot, 'samples', 'tower-rusty.jpg'));
const answer = '{ "msgId": _msgid, "state": condition.state }';
const flow = [
  { id: 'tab', type: 'tab', label: 'pictures', env: [{ name: 'MODULE_NAME', value: 'vqi-flow', type: 'str' }, { name: 'MODULE_VERSION', value: '1.2.0', type: 'str' }] },
  { id: 'other', type: 'tab', label: 'other' },
  { id: 'model', type: 'mlops-model', path: 'bundled:vqi-demo.onnx', workers: 1, warmup: false, intraOpThreads: 0 },
  { id: 'in', type: 'http in', z: 'tab', url: '/pictures/inspect', method: 'post', upload: false, x: 100, y: 80, wires: [['asset']] },
  { id: 'asset', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'assetId', pt: 'msg', to: 'req.query.asset', tot: 'msg' }], x: 100, y: 160, wires: [['image']] },
  { id: 'image', type: 'mlops-image', z: 'tab', maxMegabytes: 25, maxMegapixels: 50, timeout: 10, showPreview: true, x: 260, y: 80, wires: [['tensor']] },
  { id: 'tensor', type: 'mlops-tensor', z: 'tab', model: 'model', width: '', height: '', resizeMode: 'fill', layout: 'auto', x: 430, y: 80, wires: [['infer']] },
  { id: 'infer', type: 'mlops-infer', z: 'tab', model: 'model', queueSize: 16, queuePolicy: 'queue', x: 600, y: 80, wires: [['segment']] },
  { id: 'segment', type: 'mlops-segment', z: 'tab', model: 'model', minArea: 20, threshold: 0.5, maxComponents: 50, overlay: true, overlayFormat: 'jpeg', opacity: 0.5, legend: true, showPreview: true, x: 770, y: 80, wires: [['condition']] },
  { id: 'condition', type: 'mlops-condition', z: 'tab', assetClasses: 'tower, cable', minAssetRatio: 0.005, minSharpness: 0, minBrightness: 0, maxBrightness: 255, debounce: 1, x: 940, y: 80, wires: [['answer']] },
  { id: 'answer', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: answer, tot: 'jsonata' }], x: 1100, y: 80, wires: [['response']] },
  { id: 'response', type: 'http response', z: 'tab', x: 1250, y: 80, wires: [] },
];

interface Received { topic: string; node: string; msgId?: string; hasPicture: boolean; width?: number; height?: number; bytes?: number; seq: number }

describe('pictures in the editor: previews, the edge ML sidebar, timings', function () {
  this.timeout(180000);
  let editor: EditorSession | undefined;
  let page: Page;

  async function inspect(assetId: string): Promise<{ msgId: string; state: string }> {
    const res = await fetch(`${editor!.url}/pictures/inspect?asset=${assetId}`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: picture });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { msgId: string; state: string };
  }

  /** Every preview message the page has received so far (what the editor draws from). */
  async function received(): Promise<Received[]> {
    return page.evaluate(() => (globalThis as any).__previews as Received[]);
  }

  async function previewOf(node: string, msgId: string): Promise<Received> {
    const handle = await page.waitForFunction(({ n, m }) => ((globalThis as any).__previews as Received[]).find((p) => p.node === n && p.msgId === m), { n: node, m: msgId }, { timeout: 60000 });
    return (await handle.jsonValue()) as Received;
  }

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    editor = await openEditor(flow, 'condition');
    page = editor.page;
    await recordPreviews();
  });
  after(async () => {
    if (editor && editor.scriptErrors.length > 0) console.warn('editor script errors:', editor.scriptErrors);
    await editor?.close();
  });

  /** Records every preview message the page receives from now on (again after a reload). */
  async function recordPreviews(): Promise<void> {
    await page.evaluate(() => {
      const seen: unknown[] = [];
      (globalThis as any).__previews = seen;
      RED.comms.subscribe('mlops-vision/preview/#', (topic: string, data: any) => seen.push({
        topic, node: topic.split('/')[2], msgId: data?.msgId, hasPicture: !!data?.picture, width: data?.picture?.width,
        height: data?.picture?.height, bytes: data?.picture?.bytes, seq: seen.length,
      }));
    });
  }

  it('shows a bounded thumbnail under mlops-image and under mlops-segment (with its legend) for the posted picture', async () => {
    const { msgId, state } = await inspect('tower-17');
    assert.match(state, /^(OK|WARNING|CRITICAL|RETAKE)$/);
    for (const node of ['image', 'segment']) {
      const preview = await previewOf(node, msgId);
      assert.ok(preview.hasPicture);
      assert.ok(Math.max(preview.width!, preview.height!) <= 160 && preview.bytes! <= 12 * 1024, JSON.stringify(preview));
      // Drawn on the canvas under the node, at most 96x72, below the node's shape and its status line.
      const shown = await page.waitForFunction(({ id, m }) => {
        const layer = document.getElementById(id)?.querySelector('.mlops-vision-preview');
        if (!layer || layer.getAttribute('data-msgid') !== m) return undefined;
        const image = layer.querySelector('image')!.getBoundingClientRect();
        const all = layer.getBoundingClientRect();
        const shape = document.getElementById(id)!.querySelector('.red-ui-flow-node')!.getBoundingClientRect();
        const zoom = RED.view.scale();
        return {
          width: image.width / zoom, height: image.height / zoom, gap: (image.top - shape.bottom) / zoom,
          below: (all.bottom - shape.top) / zoom, wide: (all.right - shape.left) / zoom, legend: layer.querySelectorAll('.mlops-vision-preview-legend').length,
        };
      }, { id: node, m: msgId });
      const box = (await shown.jsonValue()) as { width: number; height: number; gap: number; below: number; wide: number; legend: number };
      assert.ok(box.width > 10 && box.width <= 64 && box.height > 5 && box.height <= 48, JSON.stringify(box));
      assert.ok(box.gap >= 14, `below the status line: ${JSON.stringify(box)}`);
      // Fits between two rows of nodes 120 px apart (the examples' grid) and within a node's width plus its gap.
      assert.ok(box.below < 110 && box.wide <= 130, `fits the grid: ${JSON.stringify(box)}`);
      if (node === 'segment') assert.ok(box.legend >= 1, 'the legend names the classes present');
      else assert.equal(box.legend, 0);
    }
  });

  it('draws the previews again when their tab is shown again (the editor makes its node elements anew)', async () => {
    const shownMsgId = () => page.evaluate(() => document.getElementById('segment')?.querySelector('.mlops-vision-preview')?.getAttribute('data-msgid'));
    const before = await shownMsgId();
    assert.ok(before);
    await page.evaluate(() => RED.workspaces.show('other'));
    await page.waitForFunction(() => !document.getElementById('segment'));
    await page.evaluate(() => RED.workspaces.show('tab'));
    await page.waitForFunction((m) => document.getElementById('segment')?.querySelector('.mlops-vision-preview')?.getAttribute('data-msgid') === m, before);
  });

  it('every status shows its milliseconds, mlops-condition the total', async () => {
    for (const node of ['image', 'tensor', 'infer', 'segment']) await waitForStatus(page, node, /\d+(\.\d)? ms\b/);
    await waitForStatus(page, 'condition', /· total \d+(\.\d)? ms$/);
  });

  it('the edge ML sidebar lists the inspection with state, reasons, model, flow, timings and an overlay to enlarge', async () => {
    const { msgId, state } = await inspect('tower-18');
    await page.evaluate(() => RED.sidebar.show('mlops-vision'));
    const row = page.locator(`.mlops-vision-asset[data-asset="tower-18"] .mlops-vision-inspection[data-msgid="${msgId}"]`);
    await row.waitFor({ state: 'visible', timeout: 60000 });
    assert.equal(await row.locator('.mlops-vision-state').textContent(), state);
    assert.match((await row.locator('.mlops-vision-model').textContent())!, /^model \S+/);
    assert.equal(await row.locator('.mlops-vision-flow').textContent(), 'flow vqi-flow 1.2.0');
    const timings = (await row.locator('.mlops-vision-timings').textContent())!;
    for (const stage of ['decode', 'preprocess', 'queue', 'infer', 'postprocess', 'condition']) assert.match(timings, new RegExp(`\\b${stage} \\d`), timings);
    assert.match(timings, /· total \d+(\.\d)? ms$/);
    // The overlay arrives with the segment node's preview of the same message (it may come after the inspection).
    const thumb = row.locator('img.mlops-vision-thumb');
    await thumb.waitFor({ state: 'visible', timeout: 60000 });
    await thumb.click();
    const enlarged = page.locator('.mlops-vision-enlarged img');
    await enlarged.waitFor({ state: 'visible' });
    const size = (await enlarged.boundingBox())!;
    assert.ok(size.width > 160, `enlarged: ${size.width}`);
    await page.locator('.mlops-vision-enlarged').click();
    await enlarged.waitFor({ state: 'detached' });
  });

  it('shows a hostile asset id and reasons as text in the sidebar (no markup from the runtime runs in the editor)', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1">';
    const { msgId } = await inspect(encodeURIComponent(hostile));
    await page.evaluate(() => RED.sidebar.show('mlops-vision'));
    const row = page.locator(`.mlops-vision-inspection[data-msgid="${msgId}"]`);
    await row.waitFor({ state: 'visible', timeout: 60000 });
    const section = page.locator('.mlops-vision-asset', { has: row });
    assert.equal(await section.locator('.mlops-vision-asset-title span').first().textContent(), hostile);
    assert.equal(await page.locator('.mlops-vision-sidebar img:not(.mlops-vision-thumb)').count(), 0);
    assert.equal(await page.evaluate(() => (globalThis as any).__pwned), undefined);
  });

  it('an editor opened after the pictures went through shows the last previews and the inspections so far', async () => {
    const { msgId } = await inspect('tower-20');
    await previewOf('segment', msgId);
    await page.reload();
    await page.waitForFunction(() => RED.nodes.node('condition'));
    await recordPreviews();
    // Retained previews come with the new connection; the sidebar reads the history when the editor loads.
    for (const node of ['image', 'segment']) {
      await page.waitForFunction(({ id, m }) => document.getElementById(id)?.querySelector('.mlops-vision-preview')?.getAttribute('data-msgid') === m, { id: node, m: msgId });
    }
    await page.evaluate(() => RED.sidebar.show('mlops-vision'));
    for (const asset of ['tower-17', 'tower-18', 'tower-20']) await page.locator(`.mlops-vision-asset[data-asset="${asset}"] .mlops-vision-inspection`).first().waitFor({ state: 'visible' });
    assert.equal(await page.locator('.mlops-vision-asset').first().getAttribute('data-asset'), 'tower-20', 'most recently inspected asset first');
  });

  it('a burst is previewed at most twice a second per node, and the last picture is the one shown', async () => {
    const before = (await received()).length;
    const started = Date.now();
    let last = { msgId: '', state: '' };
    const pictures = 12;
    for (let i = 0; i < pictures; i++) last = await inspect('tower-burst');
    await previewOf('image', last.msgId);
    await previewOf('segment', last.msgId);
    const elapsed = Date.now() - started;
    const burst = (await received()).slice(before);
    for (const node of ['image', 'segment']) {
      const mine = burst.filter((p) => p.node === node && p.hasPicture);
      // ≤ 2 per second over the time the burst took (+1: one may start right at its beginning), and never more than sent.
      assert.ok(mine.length <= Math.min(pictures, Math.floor(elapsed / 500) + 2), `${node}: ${mine.length} previews in ${elapsed} ms`);
      assert.equal(mine.at(-1)!.msgId, last.msgId, `${node}: the last preview is the last picture`);
      const drawn = await page.evaluate((id) => document.getElementById(id)?.querySelector('.mlops-vision-preview')?.getAttribute('data-msgid'), node);
      assert.equal(drawn, last.msgId);
    }
  });

  it('preview switched off in mlops-image\'s dialog: withdrawn from the canvas, none published for it, segment still previews', async () => {
    await openDialog(page, 'image');
    assert.equal(await page.isChecked('#node-input-showPreview'), true);
    await page.uncheck('#node-input-showPreview');
    await pressDone(page);
    const before = (await received()).length;
    await deployFromEditor(page);
    await page.waitForFunction(() => !document.getElementById('image')?.querySelector('.mlops-vision-preview'));
    const { msgId } = await inspect('tower-19');
    await previewOf('segment', msgId);
    const after = (await received()).slice(before);
    assert.deepEqual(after.filter((p) => p.node === 'image').map((p) => p.hasPicture), [false], 'only the withdrawal');
    assert.equal((await page.evaluate(() => RED.nodes.node('image').showPreview)), false);
  });
});
