// Every node's edit dialog in the real Node-RED editor (Chromium via playwright-core), with the example flows
// deployed: each dialog opens without a script error, shows no untranslated catalog key, and the example's node is
// valid as configured.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot } from '../helpers/flow';
import { chromiumAvailable, openEditor, type EditorSession } from '../helpers/editor';
const examples = fs.readdirSync(path.join(repoRoot, 'examples')).filter((f) => f.endsWith('.json'));
const exampleNodes = examples.flatMap((f) => JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', f), 'utf8')) as { id: string; type: string }[]);
const ours = exampleNodes.filter((n) => n.type.startsWith('mlops-'));

describe('editor dialogs of every node', function () {
  this.timeout(120000);
  let editor: EditorSession | undefined;
  let page: Page;
  let scriptErrors: string[];

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    // An unused broker port keeps the thin-edge connection from reaching anything real.
    editor = await openEditor(exampleNodes, ours[0]!.id, { TEDGE_MQTT_PORT: '1', VQI_INBOX: os.tmpdir() });
    ({ page, scriptErrors } = editor);
  });
  after(async () => {
    await editor?.close();
  });

  it('covers every node type of the package', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    assert.deepEqual([...new Set(ours.map((n) => n.type))].sort(), Object.keys(pkg['node-red'].nodes).sort());
  });

  for (const example of ours) {
    it(`opens ${example.type} (${example.id}) cleanly`, async () => {
      const opened = await page.evaluate(({ id }) => {
        const RED = (globalThis as any).RED;
        const node = RED.nodes.node(id);
        if (!node) return false;
        if (node._def.category === 'config') RED.editor.editConfig('', node.type, node.id);
        else RED.editor.edit(node);
        return true;
      }, example);
      assert.ok(opened, `${example.id} is not in the editor`);
      await page.waitForSelector('.red-ui-tray-body form', { state: 'visible' });
      // Let oneditprepare finish what it schedules, then read the dialog.
      await page.waitForFunction(() => !(globalThis as any).$('.red-ui-tray').is(':animated'));
      const dialog = await page.evaluate(() => {
        const $ = (globalThis as any).$;
        const tray = $('.red-ui-tray').last();
        return { text: tray.text() as string, fields: tray.find('input, select, textarea').length as number };
      });
      assert.ok(dialog.fields > 0, `${example.type}: the dialog has no fields`);
      const untranslated = dialog.text.match(/\bmlops-[a-z0-9-]+\.[a-zA-Z.]+/g);
      assert.equal(untranslated, null, `${example.type}: untranslated keys ${untranslated}`);
      await page.evaluate(() => (globalThis as any).$('.red-ui-tray').last().find('button').filter(function (this: unknown) {
        return (globalThis as any).$(this).attr('id')?.endsWith('cancel');
      }).trigger('click'));
      await page.waitForFunction(() => (globalThis as any).$('.red-ui-tray-body form').length === 0);
      const state = await page.evaluate(({ id }) => {
        const n = (globalThis as any).RED.nodes.node(id);
        return { valid: n.valid, label: (globalThis as any).RED.utils.getNodeLabel(n) };
      }, example);
      assert.equal(state.valid, true, `${example.type} ${example.id} is invalid as the example configures it`);
      assert.doesNotMatch(String(state.label), /\bmlops-[a-z-]+\.[a-z]/, `${example.type}: label ${state.label}`);
      assert.deepEqual(scriptErrors, []);
    });
  }
});
