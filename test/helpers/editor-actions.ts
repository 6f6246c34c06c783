// What a user does in the Node-RED editor, done through the page as they would: drag from the palette, double-click
// to edit, Done, Deploy. Each step waits for the editor's own state, never for a fixed time.
import type { Page } from 'playwright-core';
import { deployAndWaitForStart } from './deploy-started';

// The editor page's globals, as the functions passed to page.evaluate see them there (they run in the page).
 
declare const RED: any;
declare const $: any;

/** Drags `type` from the palette onto the workspace at (x, y) of the chart; resolves with the new node's id. */
export async function dragFromPalette(page: Page, type: string, x: number, y: number): Promise<string> {
  const before = await page.evaluate((t) => RED.nodes.filterNodes({ type: t }).map((n: { id: string }) => n.id), type);
  const paletteNode = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  await paletteNode.scrollIntoViewIfNeeded();
  const from = (await paletteNode.boundingBox())!;
  const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(chart.x + x, chart.y + y, { steps: 12 });
  await page.mouse.up();
  const handle = await page.waitForFunction(({ t, known }) => {
    const added = RED.nodes.filterNodes({ type: t }).find((n: { id: string }) => !known.includes(n.id));
    return added?.id;
  }, { t: type, known: before });
  return (await handle.jsonValue()) as string;
}

/** Opens the node's edit dialog by double-clicking it in the workspace. */
export async function openDialog(page: Page, nodeId: string): Promise<void> {
  await page.evaluate((id) => RED.view.reveal(id), nodeId);
  await page.locator(`[id="${nodeId}"] .red-ui-flow-node`).dblclick();
  await page.waitForSelector('.red-ui-tray-body form', { state: 'visible' });
  await page.waitForFunction(() => !$('.red-ui-tray').is(':animated'));
}

/** Presses Done in the open dialog and waits for it to close. */
export async function pressDone(page: Page): Promise<void> {
  await page.click('#node-dialog-ok, #node-config-dialog-ok');
  await page.waitForFunction(() => $('.red-ui-tray-body form').length === 0);
}

/** Wires output `port` of `from` to `to` by dragging from the output port to the input port. */
export async function wire(page: Page, from: string, to: string, port = 0): Promise<void> {
  const source = (await page.locator(`[id="${from}"] .red-ui-flow-port-output`).nth(port).boundingBox())!;
  const target = (await page.locator(`[id="${to}"] .red-ui-flow-port-input`).boundingBox())!;
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 8 });
  await page.mouse.up();
  const linked = await page.evaluate(({ f, t, p }) => RED.nodes.filterLinks({ source: { id: f }, sourcePort: p, target: { id: t } }).length, { f: from, t: to, p: port });
  if (linked !== 1) throw new Error(`dragging ${from}:${port} → ${to} made ${linked} links`);
}

/**
 * Presses Deploy (a full deploy, the editor's default) and resolves when the runtime has started the new flows. Fails with
 * the editor's text when it asks for confirmation instead (invalid, unknown or unused nodes).
 */
export async function deployFromEditor(page: Page): Promise<void> {
  if (!(await page.evaluate(() => RED.nodes.dirty()))) throw new Error('nothing to deploy: the editor has no changes');
  // The editor is served at the runtime's admin root: the same place answers the comms the start is awaited on.
  const api = new URL(page.url()).origin;
  await deployAndWaitForStart(api, async () => {
    const accepted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/flows');
    await page.click('#red-ui-header-button-deploy');
    const outcome = await Promise.race([
      accepted.then((response) => ({ response })),
      page.waitForSelector('#red-ui-deploy-dialog-confirm-deploy-deploy', { state: 'visible' }).then(() => ({ response: undefined })),
    ]);
    if (!outcome.response) {
      const text = await page.evaluate(() => {
        const notification = $('.red-ui-notification').last();
        const said = notification.text() as string;
        notification.find('button').first().trigger('click'); // Cancel, so that the editor is usable again
        return said;
      });
      throw new Error(`the editor asked before deploying: ${text}`);
    }
    if (!outcome.response.ok()) throw new Error(`deploy answered ${outcome.response.status()}: ${await outcome.response.text()}`);
    await page.waitForFunction(() => !RED.nodes.dirty());
    return ((await outcome.response.json()) as { rev: string }).rev;
  }, (rev) => rev);
}

/** The flow as the runtime now has it (GET /flows, as thin-edge reads it back). */
export async function deployedFlow(url: string): Promise<Record<string, any>[]> {
  const res = await fetch(`${url}/flows`, { headers: { accept: 'application/json', 'Node-RED-API-Version': 'v1' } });
  if (!res.ok) throw new Error(`GET /flows: ${res.status}`);
  return (await res.json()) as Record<string, any>[];
}

/**
 * Import ▸ Examples ▸ <package> ▸ `name`, as a user picks it; resolves with the id of the tab it added. `copy`: the
 * example is already in the workspace, and the user answers the editor's "already exist" notice with Import copy.
 */
export async function importExample(page: Page, packageName: string, name: string, { copy = false } = {}): Promise<string> {
  const tabsBefore = await page.evaluate(() => RED.nodes.getWorkspaceOrder() as string[]);
  await page.evaluate(() => RED.actions.invoke('core:show-examples-import-dialog'));
  const tree = page.locator('.red-ui-clipboard-dialog-tab-library:visible');
  await tree.locator('.red-ui-treeList-label', { hasText: packageName }).first().click();
  await tree.locator('.red-ui-treeList-label', { hasText: new RegExp(`^${name}$`) }).click();
  await page.click('#red-ui-clipboard-dialog-ok');
  if (copy) await page.locator('.red-ui-notification button', { hasText: /^Import copy$/ }).click();
  const handle = await page.waitForFunction((known) => (RED.nodes.getWorkspaceOrder() as string[]).find((id) => !known.includes(id)), tabsBefore);
  return (await handle.jsonValue()) as string;
}

/** The ids of the nodes of `type` on tab `tabId`, in the order of their position (top to bottom, left to right). */
export async function nodesOnTab(page: Page, tabId: string, type: string): Promise<string[]> {
  return page.evaluate(({ z, t }) => RED.nodes.filterNodes({ z, type: t })
    .sort((a: { x: number; y: number }, b: { x: number; y: number }) => a.y - b.y || a.x - b.x)
    .map((n: { id: string }) => n.id), { z: tabId, t: type });
}

/** Opens the config node selected in the open dialog's `property` with its pencil button. */
export async function openConfigFromDialog(page: Page, property: string): Promise<void> {
  await page.click(`#node-input-btn-${property}-edit`);
  await page.waitForSelector('#node-config-dialog-ok', { state: 'visible' });
  await page.waitForFunction(() => !$('.red-ui-tray').is(':animated'));
}

/** Presses Update in an open config node dialog and waits until its tray has gone. */
export async function pressUpdate(page: Page): Promise<void> {
  await page.click('#node-config-dialog-ok');
  await page.waitForFunction(() => $('#node-config-dialog-ok').length === 0 && !$('.red-ui-tray').is(':animated'));
}

/** Starts recording the debug messages the runtime sends the editor (what the debug sidebar shows). */
export async function recordDebugMessages(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: unknown[] = [];
    (globalThis as any).__debugMessages = seen;
    RED.comms.subscribe('debug', (_topic: string, message: unknown) => seen.push(message));
  });
}

/** Waits for a debug message from node `nodeId` whose text matches `pattern`; resolves with that text. */
export async function debugMessage(page: Page, nodeId: string, pattern: RegExp, timeout = 30000): Promise<string> {
  const handle = await page.waitForFunction(({ id, source, flags }) => {
    const re = new RegExp(source, flags);
    const found = ((globalThis as any).__debugMessages as { id: string; msg: unknown }[])
      .find((m) => m.id === id && re.test(String(m.msg)));
    return found ? String(found.msg) : undefined;
  }, { id: nodeId, source: pattern.source, flags: pattern.flags }, { timeout });
  return (await handle.jsonValue()) as string;
}

/** Clears the recorded debug messages. */
export async function clearDebugMessages(page: Page): Promise<void> {
  await page.evaluate(() => { ((globalThis as any).__debugMessages as unknown[]).length = 0; });
}

/** Waits until the status under node `nodeId` in the editor matches `pattern` (it comes over comms, after the work). */
export async function waitForStatus(page: Page, nodeId: string, pattern: RegExp, timeout = 30000): Promise<{ fill?: string; text?: string }> {
  try {
    const handle = await page.waitForFunction(({ id, source, flags }) => {
      const status = RED.nodes.node(id)?.status;
      return status && new RegExp(source, flags).test(String(status.text)) ? { fill: status.fill, text: status.text } : undefined;
    }, { id: nodeId, source: pattern.source, flags: pattern.flags }, { timeout });
    return (await handle.jsonValue()) as { fill?: string; text?: string };
  } catch (err) {
    throw new Error(`the editor shows ${JSON.stringify(await shownStatus(page, nodeId))} under ${nodeId}, not ${pattern}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Closes every open edit tray with its Cancel button (after a failed step, so the next one starts clean). */
export async function cancelDialogs(page: Page): Promise<void> {
  for (let open = await page.locator('.red-ui-tray').count(); open > 0; open--) {
    await page.evaluate(() => $('.red-ui-tray').last().find('.red-ui-tray-toolbar button').filter(function (this: unknown) {
      return /cancel/.test(String($(this).attr('id')));
    }).trigger('click'));
    await page.waitForFunction((n) => $('.red-ui-tray').length < n && !$('.red-ui-tray').is(':animated'), open);
  }
}

/** The status the editor shows under node `nodeId` (as the runtime last sent it). */
export async function shownStatus(page: Page, nodeId: string): Promise<{ fill?: string; shape?: string; text?: string } | undefined> {
  return page.evaluate((id) => {
    const status = RED.nodes.node(id)?.status;
    return status ? { fill: status.fill, shape: status.shape, text: status.text } : undefined;
  }, nodeId);
}

/** Clicks the button of inject node `nodeId`, as a user does to send its message (its tab is shown first). */
export async function clickInject(page: Page, nodeId: string): Promise<void> {
  await page.evaluate((id) => RED.view.reveal(id), nodeId);
  await page.locator(`[id="${nodeId}"] .red-ui-flow-node-button`).click();
}

/**
 * Edit flow ▸ Environment, as a user does it: double-clicks the tab, opens the Environment Variables pane, types
 * `values` (name → text) into the value fields of those variables, presses Done.
 */
export async function setFlowEnv(page: Page, tabId: string, values: Record<string, string>): Promise<void> {
  await page.locator(`[id="red-ui-tab-${tabId}"]`).dblclick();
  await page.click('[id="red-ui-tab-editor-tab-envProperties-link-button"]');
  await page.waitForSelector('.red-ui-tray .node-input-env-name', { state: 'visible' });
  await page.waitForFunction(() => !$('.red-ui-tray').is(':animated'));
  for (const [name, value] of Object.entries(values)) {
    const row = await page.evaluate((n) => $('.red-ui-tray .node-input-env-name').toArray().findIndex((e: { value: string }) => e.value === n), name);
    if (row < 0) throw new Error(`the flow has no env variable ${name}`);
    // A typedInput: the visible field sits in the container next to the (hidden) value input.
    const field = page.locator('.red-ui-tray .node-input-env-value').nth(row)
      .locator('xpath=following-sibling::div[contains(@class, "red-ui-typedInput-container")]//div[contains(@class, "red-ui-typedInput-input")]/input');
    await field.fill(value);
    await field.press('Tab');
  }
  await page.click('#node-dialog-ok');
  await page.waitForFunction(() => $('.red-ui-tray').length === 0);
}
