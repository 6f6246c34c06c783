// The rule table in the real Node-RED editor (Chromium via playwright-core): rows load, can be added and edited,
// are saved as the node's `rules`, and an invalid row marks the node invalid.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { chromiumAvailable, openEditor, type EditorSession } from '../../helpers/editor';

describe('mlops-condition editor', function () {
  this.timeout(90000);
  let editor: EditorSession | undefined;
  let page: Page;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    editor = await openEditor([
      { id: 'tab', type: 'tab', label: 'editor test' },
      // Every setting but the rules, which then come from the defaults.
      {
        id: 'cond', type: 'mlops-condition', z: 'tab', x: 200, y: 100, wires: [[]], name: '', assetId: '',
        assetClasses: 'tower, cable', minAssetRatio: 0.005, minSharpness: 15, minBrightness: 30, maxBrightness: 230,
        debounce: 1, severityCRITICAL: 'CRITICAL', severityWARNING: 'MINOR', severityRETAKE: 'WARNING', severityOK: '',
      },
    ], 'cond');
    page = editor.page;
  });
  after(async () => {
    await editor?.close();
  });

  const rowValues = () => page.evaluate(() => {
    const $ = (globalThis as any).$;
    return $('#node-input-rule-container').editableList('items').map(function (this: unknown) {
      const row = $(this);
      return [row.find('.mlops-condition-numerator').val(), row.find('.mlops-condition-denominator').val(),
        row.find('.mlops-condition-operator').val(), row.find('.mlops-condition-threshold').val(),
        row.find('.mlops-condition-state').val()].join(' ');
    }).get();
  });

  it('shows the default rules as rows, saves an added row, and flags an invalid threshold', async () => {
    await page.evaluate(() => { const RED = (globalThis as any).RED; RED.editor.edit(RED.nodes.node('cond')); });
    await page.waitForSelector('#node-input-rule-container .mlops-condition-numerator');
    assert.deepEqual(await rowValues(), ['rust tower > 0.05 CRITICAL', 'rust tower > 0.01 WARNING']);

    await page.evaluate(() => {
      const $ = (globalThis as any).$;
      $('#node-input-rule-container').editableList('addItem', { numerator: 'cable', operator: '<', threshold: 0.001 });
    });
    await page.evaluate(() => (globalThis as any).$('#node-dialog-ok').trigger('click'));
    const saved = await page.evaluate(() => { const n = (globalThis as any).RED.nodes.node('cond'); return { rules: n.rules, valid: n.valid }; });
    assert.deepEqual(saved.rules, [
      { numerator: 'rust', denominator: 'tower', operator: '>', threshold: 0.05, state: 'CRITICAL' },
      { numerator: 'rust', denominator: 'tower', operator: '>', threshold: 0.01, state: 'WARNING' },
      { numerator: 'cable', denominator: 'image', operator: '<', threshold: 0.001, state: 'WARNING' },
    ]);
    assert.equal(saved.valid, true);
    // The closed dialog leaves the DOM after its animation; the next one must not be confused with it.
    await page.waitForFunction(() => (globalThis as any).$('#node-input-rule-container').length === 0);

    await page.evaluate(() => { const RED = (globalThis as any).RED; RED.editor.edit(RED.nodes.node('cond')); });
    await page.waitForSelector('#node-input-rule-container .mlops-condition-threshold');
    await page.locator('#node-input-rule-container .mlops-condition-threshold').first().fill('lots');
    await page.evaluate(() => (globalThis as any).$('#node-dialog-ok').trigger('click'));
    const after = await page.evaluate(() => { const n = (globalThis as any).RED.nodes.node('cond'); return { rules: n.rules, valid: n.valid }; });
    assert.deepEqual(after.rules[0], { numerator: 'rust', denominator: 'tower', operator: '>', threshold: 'lots', state: 'CRITICAL' });
    assert.equal(after.valid, false);
  });
});
