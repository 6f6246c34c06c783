// The real editor (Chromium): mlops-condition's class fields offer the model's labels (free text stays possible),
// and a model that cannot be loaded turns every node depending on it red, with an error logged at deploy.
import assert from 'node:assert/strict';
import { chromiumAvailable, openEditor, type EditorSession } from '../../helpers/editor';
import { debugMessage, deployFromEditor, openDialog, pressUpdate, recordDebugMessages, shownStatus, waitForStatus, cancelDialogs } from '../../helpers/editor-actions';

declare const RED: any;
declare const $: any;

interface Attributed { getAttribute(name: string): string | null }

const VQI_LABELS = ['background', 'tower', 'cable', 'rust'];

/** What the editor requires of a condition node (its dialog's defaults). */
const CONDITION = { assetClasses: 'tower, cable', minAssetRatio: 0.005, minSharpness: 15, minBrightness: 30, maxBrightness: 230, debounce: 1 };

function flow(modelPath: string): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'classes' },
    { id: 'm', type: 'mlops-model', path: modelPath, workers: 1, intraOpThreads: 0 },
    { id: 'tensor', type: 'mlops-tensor', z: 'tab', model: 'm', width: '', height: '', x: 100, y: 100, wires: [['infer']] },
    { id: 'infer', type: 'mlops-infer', z: 'tab', model: 'm', queueSize: 4, x: 250, y: 100, wires: [['segment', 'segment-named']] },
    { id: 'segment', type: 'mlops-segment', z: 'tab', threshold: 0.5, minArea: 0, maxComponents: 100, opacity: 0.5, x: 400, y: 100, wires: [['condition']] },
    { id: 'condition', type: 'mlops-condition', z: 'tab', ...CONDITION, x: 550, y: 100, wires: [[]] },
    { id: 'segment-named', type: 'mlops-segment', z: 'tab', labels: 'crack', threshold: 0.5, minArea: 0, maxComponents: 100, opacity: 0.5, x: 400, y: 200, wires: [['condition-named']] },
    { id: 'condition-named', type: 'mlops-condition', z: 'tab', ...CONDITION, x: 550, y: 200, wires: [[]] },
    { id: 'condition-alone', type: 'mlops-condition', z: 'tab', ...CONDITION, x: 550, y: 300, wires: [[]] },
  ];
}

async function offeredClasses(editor: EditorSession, conditionId: string): Promise<{ classes: string[]; denominators: string[]; hint: string }> {
  const page = editor.page;
  await openDialog(page, conditionId);
  await page.waitForFunction(() => $('#mlops-condition-classes option').length > 0);
  const offered = await page.evaluate(() => ({
    classes: $('#mlops-condition-classes option').map(function (this: Attributed) { return this.getAttribute('value'); }).get(),
    denominators: $('#mlops-condition-denominators option').map(function (this: Attributed) { return this.getAttribute('value'); }).get(),
    hint: $('#node-input-assetClasses-hint').text(),
    lists: $('.mlops-condition-numerator').map(function (this: Attributed) { return this.getAttribute('list'); }).get(),
  }));
  assert.ok(offered.lists.length > 0 && offered.lists.every((l: string) => l === 'mlops-condition-classes'), JSON.stringify(offered.lists));
  return offered;
}

describe('mlops-condition class names from the model, and a broken model on its dependents (editor)', function () {
  this.timeout(240000);
  let editor: EditorSession | undefined;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    editor = await openEditor(flow('bundled:vqi-demo.onnx'), 'condition');
  });
  after(async () => { await editor?.close(); });
  afterEach(async () => { if (editor) await cancelDialogs(editor.page); });

  it("offers the labels of the model of the wired infer, 'image' as a denominator too; free text stays possible", async () => {
    const offered = await offeredClasses(editor!, 'condition');
    assert.deepEqual(offered.classes, VQI_LABELS);
    assert.deepEqual(offered.denominators, ['image', ...VQI_LABELS]);
    assert.match(offered.hint, /the model's classes: background, tower, cable, rust/);
    const page = editor!.page;
    await page.locator('.mlops-condition-numerator').first().fill('corrosion');
    assert.equal(await page.locator('.mlops-condition-numerator').first().inputValue(), 'corrosion');
  });

  it('prefers the labels set on the mlops-segment upstream', async () => {
    assert.deepEqual((await offeredClasses(editor!, 'condition-named')).classes, ['background', 'crack']);
  });

  it("uses the flow's only model for a condition node that is not wired to an infer", async () => {
    assert.deepEqual((await offeredClasses(editor!, 'condition-alone')).classes, VQI_LABELS);
  });

  it('a missing model path: deployed from the editor, every dependent node turns red and the error is logged at deploy', async () => {
    const page = editor!.page;
    await recordDebugMessages(page);
    await page.evaluate(() => RED.editor.editConfig('', 'mlops-model', 'm'));
    await page.fill('#node-config-input-path', 'models/gone.onnx');
    await pressUpdate(page);
    await deployFromEditor(page);
    for (const id of ['tensor', 'infer', 'segment', 'condition', 'segment-named', 'condition-named']) {
      const shown = await waitForStatus(page, id, /gone\.onnx does not exist/);
      assert.equal(shown.fill, 'red', id);
    }
    assert.equal((await shownStatus(page, 'condition-alone'))?.fill, undefined);
    const logged = await debugMessage(page, 'm', /cannot be loaded/);
    assert.match(logged, /gone\.onnx does not exist.*used by: mlops-tensor, mlops-infer, mlops-segment, mlops-segment, mlops-condition, mlops-condition/);
    assert.deepEqual(editor!.scriptErrors, []);
  });
});
