// How the c8y nodes read in the real editor (Chromium): the palette label, the Send label beside its first
// checkbox, and a caption for each of the connection's timing boxes.
import assert from 'node:assert/strict';
import { chromiumAvailable, openEditor, type EditorSession } from '../../helpers/editor';
import { cancelDialogs, openDialog } from '../../helpers/editor-actions';

declare const RED: any;
declare const $: any;

describe('c8y nodes as the editor shows them', function () {
  this.timeout(180000);
  let editor: EditorSession | undefined;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    editor = await openEditor([
      { id: 'tab', type: 'tab', label: 'c8y' },
      { id: 'conn', type: 'mlops-c8y', name: 'edge' },
      { id: 'out', type: 'mlops-c8y-out', z: 'tab', connection: 'conn', x: 200, y: 100, wires: [[]] },
    ], 'out', { TEDGE_MQTT_PORT: '1' });
  });
  after(async () => { await editor?.close(); });
  afterEach(async () => { if (editor) await cancelDialogs(editor.page); });

  it("shows 'c8y out' in the palette with one space", async () => {
    const label = await editor!.page.textContent('.red-ui-palette-node[data-palette-type="mlops-c8y-out"] .red-ui-palette-label');
    assert.equal(label?.replace(/\u00a0/g, ' '), 'c8y out');
  });

  it('puts the Send label on the row of its first checkbox', async () => {
    const page = editor!.page;
    await openDialog(page, 'out');
    const rows = await page.evaluate(() => {
      const label = $('#node-input-sendMeasurements').closest('.form-row').children('label')[0].getBoundingClientRect();
      const first = $('#node-input-sendMeasurements')[0].getBoundingClientRect();
      const last = $('#node-input-sendOriginal')[0].getBoundingClientRect();
      return { label: label.top + label.height / 2, first: first.top + first.height / 2, last: last.top + last.height / 2 };
    });
    assert.ok(rows.last - rows.first > 40, `the checkboxes are stacked: ${JSON.stringify(rows)}`);
    assert.ok(Math.abs(rows.label - rows.first) < 12, `the Send label is not beside the first checkbox: ${JSON.stringify(rows)}`);
  });

  it('gives each timing box of the connection a visible caption', async () => {
    const page = editor!.page;
    await page.evaluate(() => RED.editor.editConfig('', 'mlops-c8y', 'conn'));
    await page.waitForSelector('#node-config-input-retryMaxS', { state: 'visible' });
    const captions = await page.evaluate(() => ['timeoutS', 'reconnectS', 'retryMinS', 'retryMaxS'].map((id) => {
      const caption = $(`#node-config-input-${id}`).prev('span');
      return [id, caption.is(':visible') ? caption.text().trim() : ''];
    }));
    assert.deepEqual(captions, [['timeoutS', 'request timeout'], ['reconnectS', 'MQTT reconnect every'], ['retryMinS', 'first after'], ['retryMaxS', 'at most every']]);
  });
});
