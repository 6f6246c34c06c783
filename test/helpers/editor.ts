// The real Node-RED editor in headless Chromium (Debian's, driven by playwright-core) over a runtime process with a
// given flow deployed. Without Chromium, tests fail under CI and skip loudly elsewhere.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { inCI } from './prerequisites';
import { startRuntimeProcess, type RuntimeProcess } from './runtime-process';

const CHROMIUM = '/usr/bin/chromium';

export interface EditorSession {
  page: Page;
  /** The runtime's address (admin API and the flows' HTTP routes). */
  url: string;
  /** The runtime's Node-RED user directory. */
  userDir: string;
  /** Uncaught script errors in the editor page since it opened. */
  scriptErrors: string[];
  close(): Promise<void>;
}

/** False (with a note in the test output) when there is no Chromium to drive. */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  const missing = `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (inCI) throw new Error(`prerequisite missing under CI (CI=true): ${missing}`);
  console.warn(`\n    !!! SKIPPED (prerequisite missing): ${missing}\n`);
  return false;
}

/**
 * Deploys `flow`, opens the editor and resolves once node `readyNodeId` is in the editor's workspace. `viewport`: the
 * browser window's size (playwright's default 1280×720 otherwise).
 */
export async function openEditor(flow: object[], readyNodeId: string, env: Record<string, string> = {},
  viewport?: { width: number; height: number }): Promise<EditorSession> {
  const flowFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-editor-')), 'flows.json');
  fs.writeFileSync(flowFile, JSON.stringify(flow));
  let runtime: RuntimeProcess | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await runtime?.stop();
  };
  try {
    runtime = await startRuntimeProcess(flowFile, env);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const page = await browser.newPage(viewport ? { viewport } : {});
    const scriptErrors: string[] = [];
    page.on('pageerror', (err) => scriptErrors.push(err.message));
    await page.goto(runtime.url);
    await page.waitForFunction((id) => (globalThis as any).RED?.nodes?.node(id), readyNodeId, { timeout: 60000 });
    return { page, url: runtime.url, userDir: runtime.userDir, scriptErrors, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A tab with one comment: an editor to import examples into. */
export const EMPTY_START = { flow: [{ id: 'start', type: 'tab', label: 'start' }, { id: 'start-note', type: 'comment', z: 'start', name: 'empty', x: 120, y: 40, wires: [] }], readyNodeId: 'start-note' };

export interface EditorOptions { flow: object[]; readyNodeId: string; env?: Record<string, string>; viewport?: { width: number; height: number } }
export interface EditorFixture { readonly session: EditorSession; readonly page: Page }

/**
 * Registers the mocha hooks of the calling describe block: the editor opened on `options()` (called in the hook, so
 * it may use what earlier hooks started), skipped loudly without Chromium, closed after.
 */
export function useEditor(options: () => EditorOptions): EditorFixture {
  let session: EditorSession | undefined;
  before(async function () {
    if (!chromiumAvailable()) this.skip();
    const { flow, readyNodeId, env, viewport } = options();
    session = await openEditor(flow, readyNodeId, env, viewport);
  });
  after(async () => { await session?.close(); });
  const open = () => {
    if (!session) throw new Error('the editor is not open');
    return session;
  };
  return { get session() { return open(); }, get page() { return open().page; } };
}

export interface NodeEditorFixture {
  readonly page: Page;
  /** Opens the node's edit dialog and waits for `ready` (a selector in its form). */
  edit(ready: string): Promise<void>;
  /** Presses Done, waits until `gone` (a selector of the dialog) has left, and returns the node's `properties`. */
  save<K extends string>(gone: string, properties: readonly K[]): Promise<Record<K, any>>;
}

/** The editor on a tab holding just `node` (given its id, type and settings), for tests of its dialog. */
export function useNodeEditor(node: Record<string, unknown> & { id: string }): NodeEditorFixture {
  const editor = useEditor(() => ({
    flow: [{ id: 'tab', type: 'tab', label: 'editor test' }, { z: 'tab', x: 200, y: 100, wires: [[]], ...node }],
    readyNodeId: node.id,
  }));
  return {
    get page() { return editor.page; },
    edit: async (ready) => {
      await editor.page.evaluate((id) => { const RED = (globalThis as any).RED; RED.editor.edit(RED.nodes.node(id)); }, node.id);
      await editor.page.waitForSelector(ready);
    },
    save: async (gone, properties) => {
      await editor.page.evaluate(() => (globalThis as any).$('#node-dialog-ok').trigger('click'));
      await editor.page.waitForFunction((selector) => (globalThis as any).$(selector).length === 0, gone);
      return editor.page.evaluate(({ id, names }) => {
        const n = (globalThis as any).RED.nodes.node(id);
        return Object.fromEntries(names.map((name: string) => [name, n[name]]));
      }, { id: node.id, names: [...properties] }) as Promise<Record<(typeof properties)[number], any>>;
    },
  };
}
