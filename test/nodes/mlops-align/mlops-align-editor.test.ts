// The signal table of mlops-align in the real Node-RED editor (Chromium via playwright-core): rows load, a row can be
// added, the table is saved as the node's `signals`, "second output" gives the node two outputs, and a duplicate
// feature name marks the node invalid.
import assert from 'node:assert/strict';
import { useNodeEditor } from '../../helpers/editor';

describe('mlops-align editor', function () {
  this.timeout(90000);
  const editor = useNodeEditor({
    id: 'align', type: 'mlops-align', name: '', matchProperty: 'topic', valueProperty: 'payload',
    emitMode: 'interval', intervalMs: 1000, incomplete: 'drop', assetFrom: 'topic', assetSegment: 1, maxAssets: 100, sequenceLength: 1, outputs: 1,
    signals: [{ name: 'pressure', match: 'truck/+/pressure', fill: 'linear', maxAgeMs: 2000, aggregate: 'mean', defaultValue: 0 }],
  });
  const edit = () => editor.edit('#node-input-signal-container .mlops-align-name');
  const save = () => editor.save('#node-input-signal-container', ['signals', 'outputs', 'valid']);

  it('loads the rows, saves an added one, and a second output when incomplete samples go there', async () => {
    await edit();
    const first = await editor.page.evaluate(() => {
      const $ = (globalThis as any).$;
      const value = (cls: string) => $(`#node-input-signal-container .${cls}`).first().val();
      return [value('mlops-align-name'), value('mlops-align-match'), value('mlops-align-fill'), value('mlops-align-aggregate')];
    });
    assert.deepEqual(first, ['pressure', 'truck/+/pressure', 'linear', 'mean']);
    await editor.page.evaluate(() => {
      const $ = (globalThis as any).$;
      $('#node-input-signal-container').editableList('addItem', { name: 'temp', match: 'truck/+/temp' });
      $('#node-input-incomplete').val('output').trigger('change');
    });
    const saved = await save();
    assert.deepEqual(saved.signals, [
      { name: 'pressure', match: 'truck/+/pressure', fill: 'linear', maxAgeMs: 2000, aggregate: 'mean', defaultValue: 0 },
      { name: 'temp', match: 'truck/+/temp', fill: 'hold', maxAgeMs: 0, aggregate: 'last', defaultValue: 0 },
    ]);
    assert.equal(saved.outputs, 2);
    assert.equal(saved.valid, true);
  });

  it('a feature name used twice marks the node invalid', async () => {
    await edit();
    await editor.page.evaluate(() => {
      (globalThis as any).$('#node-input-signal-container').editableList('addItem', { name: 'pressure', match: 'other/pressure' });
    });
    const saved = await save();
    assert.equal(saved.signals.length, 3);
    assert.equal(saved.valid, false);
  });
});
