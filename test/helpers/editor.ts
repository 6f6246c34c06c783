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
