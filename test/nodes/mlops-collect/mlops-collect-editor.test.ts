// The collect rule list in the real Node-RED editor (Chromium): default rows, only the fields a kind uses are
// shown, rows are saved as `rules`, and an invalid value marks the node invalid.
import assert from 'node:assert/strict';
import { useNodeEditor } from '../../helpers/editor';

describe('mlops-collect editor', function () {
  this.timeout(90000);
  const editor = useNodeEditor({
    id: 'col', type: 'mlops-collect', name: '', maxCount: 500, maxMegabytes: 200, directory: '', output: '', upload: false, connection: '', eventType: 'mlops_TrainingSample',
  });
  const open = () => editor.edit('#node-input-rule-container .mlops-collect-kind');
  const save = () => editor.save('#node-input-rule-container', ['rules', 'valid']);

  it('shows the default rules with only their fields, saves an edited row, and flags a bad share', async () => {
    await open();
    const rows = await editor.page.evaluate(() => {
      const $ = (globalThis as any).$;
      return $('#node-input-rule-container').editableList('items').map(function (this: unknown) {
        const row = $(this);
        const visible = ['measure', 'threshold', 'confidence', 'epsilon', 'ratio', 'share'].filter((f) => row.find(`.mlops-collect-${f}`).is(':visible'));
        return `${row.find('.mlops-collect-kind').val()}: ${visible.join(',')}`;
      }).get();
    });
    assert.deepEqual(rows, ['requested: ', 'uncertain: measure,threshold,confidence', 'near-threshold: threshold,epsilon,ratio', 'retake: ', 'random: share']);
    await editor.page.locator('#node-input-rule-container .mlops-collect-perHour').nth(3).fill('7');
    assert.deepEqual((await save()).rules[3], { kind: 'retake', perHour: 7 });

    await open();
    await editor.page.locator('#node-input-rule-container .mlops-collect-share').nth(4).fill('lots');
    const bad = await save();
    assert.deepEqual(bad.rules[4], { kind: 'random', share: 'lots', perDay: 50 });
    assert.equal(bad.valid, false);
  });
});
