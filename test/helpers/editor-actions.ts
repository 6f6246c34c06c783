// What a user does in the Node-RED editor, done through the page as they would: drag from the palette, double-click
// to edit, Done, Deploy. Each step waits for the editor's own state, never for a fixed time.
import type { Page } from 'playwright-core';

// The editor page's globals, as the functions passed to page.evaluate see them there (they run in the page).
/* eslint-disable @typescript-eslint/no-explicit-any -- the editor's globals are untyped */
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
 * Presses Deploy (a full deploy, the editor's default) and resolves when the runtime accepted the flow. Fails with
 * the editor's text when it asks for confirmation instead (invalid, unknown or unused nodes).
 */
export async function deployFromEditor(page: Page): Promise<void> {
  if (!(await page.evaluate(() => RED.nodes.dirty()))) throw new Error('nothing to deploy: the editor has no changes');
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
}

/** The flow as the runtime now has it (GET /flows, as thin-edge reads it back). */
export async function deployedFlow(url: string): Promise<Record<string, any>[]> {
  const res = await fetch(`${url}/flows`, { headers: { accept: 'application/json', 'Node-RED-API-Version': 'v1' } });
  if (!res.ok) throw new Error(`GET /flows: ${res.status}`);
  return (await res.json()) as Record<string, any>[];
}
