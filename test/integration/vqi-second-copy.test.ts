// The VQI example imported a second time next to the one `npm start` deploys (Import ▸ Examples again, Import copy),
// in the real editor over a real runtime and mosquitto. Node-RED substitutes a property that is exactly ${NAME} from
// the tab's env (the http in route, the watch folder), so one tab env entry each makes a copy distinct. Until then
// the copy says at deploy that the route and the inbox are already served (debug sidebar, yellow status) and leaves
// the inbox to the first copy: every inbox picture is inspected and published once. With its own VQI_ROUTE and
// VQI_INBOX (Edit flow ▸ Environment) the copy serves both, and the warning is gone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { useEditor } from '../helpers/editor';
import {
  clearDebugMessages, debugMessage, deployFromEditor, importExample, nodesOnTab, recordDebugMessages, setFlowEnv, shownStatus, waitForStatus,
} from '../helpers/editor-actions';
import { postPicture, RUSTY_TOWER, useThinEdgeSide, vqiExample, VQI_INBOX_NODE, VQI_TAB as FIRST_TAB } from '../helpers/vqi-example';

declare const RED: any;

const PACKAGE = '@edge-mlops/node-red-vision';

/** Puts a picture into `folder` as `<asset>.jpg` the way a camera upload should (written aside, then renamed). */
function dropPicture(folder: string, asset: string): void {
  const staged = path.join(folder, `.${asset}.part`);
  fs.writeFileSync(staged, RUSTY_TOWER);
  fs.renameSync(staged, path.join(folder, `${asset}.jpg`));
}

/** Resolves once `file` exists (re-checked on every change in its folder). */
function whenExists(file: string, timeoutMs = 60000): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return new Promise((resolve, reject) => {
    const watcher = fs.watch(path.dirname(file), () => check());
    const timer = setTimeout(() => { watcher.close(); reject(new Error(`${file} did not appear within ${timeoutMs} ms`)); }, timeoutMs);
    function check() {
      if (!fs.existsSync(file)) return;
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
    check();
  });
}

describe('VQI example imported twice: the copy warns, leaves the shared inbox alone, and is made distinct by its tab env', function () {
  this.timeout(240000);
  const side = useThinEdgeSide();
  const editor = useEditor(() => ({ flow: vqiExample(), readyNodeId: VQI_INBOX_NODE, env: side.env() }));
  let page: Page;
  let ownInbox: string | undefined;
  let copyTab: string;
  let guards: { first: string; copy: string };

  const inspect = (route: string, asset: string) => postPicture(editor.session.url, asset, { route });
  const guardOf = async (tab: string) => (await page.evaluate((z) => RED.nodes.filterNodes({ z, type: 'function', name: 'one copy per inbox' })
    .map((n: { id: string }) => n.id), tab) as string[])[0]!;

  before(async () => {
    page = editor.page;
    page.setDefaultTimeout(30000);
    await recordDebugMessages(page);
  });
  after(() => {
    if (ownInbox) fs.rmSync(ownInbox, { recursive: true, force: true });
  });

  it('the copy says at deploy that POST /vqi/inspect and the inbox are already served, naming the first tab', async () => {
    copyTab = await importExample(page, PACKAGE, 'vqi-inspection', { copy: true });
    assert.notEqual(copyTab, FIRST_TAB);
    guards = { first: await guardOf(FIRST_TAB), copy: await guardOf(copyTab) };
    await deployFromEditor(page);
    const warning = await debugMessage(page, guards.copy, /second copy of the VQI example/);
    assert.match(warning, new RegExp(`the route POST /vqi/inspect is already served by tab "VQI inspection" \\(${FIRST_TAB}\\)`));
    assert.match(warning, new RegExp(`the inbox ${side.inbox} is already watched by tab "VQI inspection" \\(${FIRST_TAB}\\)`));
    assert.match(warning, /Give this tab its own VQI_ROUTE and VQI_INBOX \(Edit flow ▸ Environment\)/);
    assert.equal((await waitForStatus(page, guards.copy, /second copy/)).fill, 'yellow');
    assert.equal((await shownStatus(page, guards.first))?.text, undefined, 'the first copy has nothing to say');
    const { status, body } = await inspect('/vqi/inspect', 'copies-1');
    assert.deepEqual([status, body.state], [200, 'CRITICAL']);
  });

  it('a picture in the shared inbox is inspected and published once: by the first copy, the copy drops its events', async () => {
    dropPicture(side.inbox, 'copies-2');
    await whenExists(path.join(side.inbox, 'done', 'copies-2.jpg'));
    await waitForStatus(page, guards.copy, /inbox of another copy/);
    const topic = 'te/device/copies-2///m/mlops_Inspection';
    await side.recorder.waitFor((all) => all.some((m) => m.topic === topic), topic);
    assert.equal(side.recorder.on(topic).length, 1);
    const copyImage = (await nodesOnTab(page, copyTab, 'mlops-image'))[0]!;
    assert.equal(await shownStatus(page, copyImage), undefined, 'the copy\'s pipeline never saw the picture');
  });

  it('given its own VQI_ROUTE and VQI_INBOX in Edit flow ▸ Environment, the copy serves both and the warning is gone', async () => {
    ownInbox = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'vqi-inbox-2-'));
    await clearDebugMessages(page);
    // VQI_INBOX is a JSONata env entry (it reads the process env); a quoted string is JSONata too.
    await setFlowEnv(page, copyTab, { VQI_ROUTE: '/vqi2/inspect', VQI_INBOX: `'${ownInbox}'` });
    await deployFromEditor(page);
    await page.waitForFunction((id) => !RED.nodes.node(id).status?.text, guards.copy);
    const own = await inspect('/vqi2/inspect', 'copies-3');
    assert.deepEqual([own.status, own.body.state], [200, 'CRITICAL']);
    assert.equal((await inspect('/vqi/inspect', 'copies-4')).status, 200, 'the first copy still serves its route');
    dropPicture(ownInbox, 'copies-5');
    dropPicture(side.inbox, 'copies-6');
    await whenExists(path.join(ownInbox, 'done', 'copies-5.jpg'));
    await whenExists(path.join(side.inbox, 'done', 'copies-6.jpg'));
    for (const asset of ['copies-5', 'copies-6']) {
      const topic = `te/device/${asset}///m/mlops_Inspection`;
      await side.recorder.waitFor((all) => all.some((m) => m.topic === topic), topic);
      assert.equal(side.recorder.on(topic).length, 1, asset);
    }
    const warnings = await page.evaluate(() => ((globalThis as any).__debugMessages as { msg: unknown }[]).filter((m) => /second copy/.test(String(m.msg))).length);
    assert.equal(warnings, 0, 'no copy warns any more');
  });

  it('raised no script error in the editor', () => {
    assert.deepEqual(editor.session.scriptErrors, []);
  });
});
