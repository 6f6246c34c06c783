// The rule table in the real Node-RED editor (Chromium via playwright-core): rows load, can be added and edited,
// are saved as the node's `rules`, and an invalid row marks the node invalid.
import assert from 'node:assert/strict';
import { useNodeEditor } from '../../helpers/editor';

describe('mlops-condition editor', function () {
  this.timeout(90000);
  // Every setting but the rules, which then come from the defaults.
  const editor = useNodeEditor({
    id: 'cond', type: 'mlops-condition', name: '', assetId: '',
    assetClasses: 'tower, cable', minAssetRatio: 0.005, minSharpness: 15, minBrightness: 30, maxBrightness: 230,
    debounce: 1, severityCRITICAL: 'CRITICAL', severityWARNING: 'MINOR', severityRETAKE: 'WARNING', severityOK: '',
  });
  const edit = () => editor.edit('#node-input-rule-container .mlops-condition-numerator');
  const save = () => editor.save('#node-input-rule-container', ['rules', 'valid']);

  const rowValues = () => editor.page.evaluate(() => {
    const $ = (globalThis as any).$;
    return $('#node-input-rule-container').editableList('items').map(function (this: unknown) {
      const row = $(this);
      return [row.find('.mlops-condition-numerator').val(), row.find('.mlops-condition-denominator').val(),
        row.find('.mlops-condition-operator').val(), row.find('.mlops-condition-threshold').val(),
        row.find('.mlops-condition-state').val()].join(' ');
    }).get();
  });

  it('shows the default rules as rows, saves an added row, and flags an invalid threshold', async () => {
    await edit();
    assert.deepEqual(await rowValues(), ['rust tower > 0.05 CRITICAL', 'rust tower > 0.01 WARNING']);

    await editor.page.evaluate(() => {
      const $ = (globalThis as any).$;
      $('#node-input-rule-container').editableList('addItem', { numerator: 'cable', operator: '<', threshold: 0.001 });
    });
    const saved = await save();
    assert.deepEqual(saved.rules, [
      { numerator: 'rust', denominator: 'tower', operator: '>', threshold: 0.05, state: 'CRITICAL' },
      { numerator: 'rust', denominator: 'tower', operator: '>', threshold: 0.01, state: 'WARNING' },
      { numerator: 'cable', denominator: 'image', operator: '<', threshold: 0.001, state: 'WARNING' },
    ]);
    assert.equal(saved.valid, true);

    await edit();
    await editor.page.locator('#node-input-rule-container .mlops-condition-threshold').first().fill('lots');
    const after = await save();
    assert.deepEqual(after.rules[0], { numerator: 'rust', denominator: 'tower', operator: '>', threshold: 'lots', state: 'CRITICAL' });
    assert.equal(after.valid, false);
  });
});
