// The collect rule list in the real Node-RED editor (Chromium): default rows, only the fields a kind uses are
// shown, rows are saved as `rules`, and an invalid value marks the node invalid.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { chromiumAvailable, openEditor, type EditorSession } from '../../helpers/editor';

describe('mlops-collect editor', function () {
  this.timeout(90000);
  let editor: EditorSession | undefined;
  let page: Page;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    editor = await openEditor([
      { id: 'tab', type: 'tab', label: 'editor test' },
      { id: 'col', type: 'mlops-collect', z: 'tab', x: 200, y: 100, wires: [[]], name: '', maxCount: 500, maxMegabytes: 200, directory: '', output: '', upload: false, connection: '', eventType: 'mlops_TrainingSample' },
    ], 'col');
    page = editor.page;
  });
  after(async () => { await editor?.close(); });

  const open = async () => {
    await page.evaluate(() => { const RED = (globalThis as any).RED; RED.editor.edit(RED.nodes.node('col')); });
    await page.waitForSelector('#node-input-rule-container .mlops-collect-kind');
  };
  const save = async () => {
    await page.evaluate(() => (globalThis as any).$('#node-dialog-ok').trigger('click'));
    const saved = await page.evaluate(() => { const n = (globalThis as any).RED.nodes.node('col'); return { rules: n.rules, valid: n.valid }; });
    await page.waitForFunction(() => (globalThis as any).$('#node-input-rule-container').length === 0);
    return saved;
  };

  it('shows the default rules with only their fields, saves an edited row, and flags a bad share', async () => {
    await open();
    const rows = await page.evaluate(() => {
      const $ = (globalThis as any).$;
      return $('#node-input-rule-container').editableList('items').map(function (this: unknown) {
        const row = $(this);
        const visible = ['measure', 'threshold', 'confidence', 'epsilon', 'ratio', 'share'].filter((f) => row.find(`.mlops-collect-${f}`).is(':visible'));
        return `${row.find('.mlops-collect-kind').val()}: ${visible.join(',')}`;
      }).get();
    });
    assert.deepEqual(rows, ['requested: ', 'uncertain: measure,threshold,confidence', 'near-threshold: threshold,epsilon,ratio', 'retake: ', 'random: share']);
    await page.locator('#node-input-rule-container .mlops-collect-perHour').nth(3).fill('7');
    assert.deepEqual((await save()).rules[3], { kind: 'retake', perHour: 7 });

    await open();
    await page.locator('#node-input-rule-container .mlops-collect-share').nth(4).fill('lots');
    const bad = await save();
    assert.deepEqual(bad.rules[4], { kind: 'random', share: 'lots', perDay: 50 });
    assert.equal(bad.valid, false);
  });
});
