// Every example as a user meets it in a 1600 px wide editor (Chromium): Import ▸ Examples, Deploy, run it the way its
// comment says (the VQI example's "try" inject buttons, one per bundled sample, whose results appear in the debug
// sidebar), then, from the boxes the editor drew: no node covers another, no status runs into another node or status, with room left for the
// "· 999 ms" timings pipeline statuses carry, and the flow fits the workspace without scrolling sideways.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { EMPTY_START, useEditor } from '../helpers/editor';
import { clickInject, debugMessage, deployFromEditor, importExample, nodesOnTab, recordDebugMessages, waitForStatus } from '../helpers/editor-actions';
import { rightEdge, layoutOverlaps, statusTextWidth, tabLayout, type DrawnNode } from '../helpers/editor-layout';
import { repoRoot } from '../helpers/flow';
import { EXPECTED_STATES as EXPECTED, RUSTY_TOWER, useThinEdgeSide } from '../helpers/vqi-example';

declare const RED: any;

const PACKAGE = '@edge-mlops/node-red-vision';
const VIEWPORT = { width: 1600, height: 1000 };
const examples = fs.readdirSync(path.join(repoRoot, 'examples')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
/** What a pipeline node's status will carry on top of today's text once it shows its own time. */
const TIMING = ' · 999 ms';

describe('the examples in a 1600 px wide editor: try buttons, statuses apart, no sideways scrolling', function () {
  this.timeout(300000);
  const side = useThinEdgeSide();
  const editor = useEditor(() => ({ ...EMPTY_START, env: side.env(), viewport: VIEWPORT }));
  let page: Page;
  const tabs: Record<string, string> = {};

  before(async () => {
    page = editor.page;
    page.setDefaultTimeout(30000);
    await recordDebugMessages(page);
    for (const name of examples) tabs[name] = await importExample(page, PACKAGE, name);
    await deployFromEditor(page);
  });

  /** What is wrong with the layout of the tab of example `name` as the editor draws it now. */
  async function layoutProblems(name: string): Promise<string[]> {
    const timing = await statusTextWidth(page, TIMING);
    const reserve = (n: DrawnNode) => (n.type.startsWith('mlops-') && !/\d ms\b/.test(n.status!.text) ? timing : 0);
    const layout = await tabLayout(page, tabs[name]!);
    assert.equal(layout.scale, 1, 'the default zoom');
    const problems = layoutOverlaps(layout.nodes, reserve).map((overlap) => `${name}: ${overlap}`);
    const right = rightEdge(layout.nodes, reserve);
    if (right > layout.chartWidth) problems.push(`${name}: reaches x = ${Math.round(right)} px, the workspace shows ${layout.chartWidth} px`);
    const left = Math.min(...layout.nodes.map((n) => n.body.x));
    if (left < 0) problems.push(`${name}: starts at x = ${Math.round(left)} px, left of the workspace`);
    return problems;
  }

  it('VQI: one "try" inject per bundled sample; each click shows its inspection in the debug sidebar, publishes it, and leaves the statuses apart', async () => {
    const tab = tabs['vqi-inspection']!;
    const injects = await page.evaluate((z) => RED.nodes.filterNodes({ z, type: 'inject' })
      .map((n: { id: string; payload: string }) => [n.payload, n.id]), tab) as [string, string][];
    const bundled = Object.keys(EXPECTED).map((file) => `bundled:${file}`).sort();
    assert.deepEqual(injects.map(([payload]) => payload).sort(), bundled, 'one inject per sample in samples/');
    const debug = (await page.evaluate((z) => RED.nodes.filterNodes({ z, type: 'debug', name: 'condition' })
      .map((n: { id: string }) => n.id), tab) as string[])[0]!;
    const condition = (await nodesOnTab(page, tab, 'mlops-condition'))[0]!;
    const problems: string[] = [];
    for (const [payload, id] of injects) {
      const file = payload.slice('bundled:'.length);
      const asset = path.basename(file, '.jpg');
      await clickInject(page, id);
      const shown = await debugMessage(page, debug, new RegExp(`"assetId":"${asset}"`));
      assert.match(shown, new RegExp(`"state":"${EXPECTED[file]}"`), `${file}: ${shown.slice(0, 300)}`);
      const topic = `te/device/${asset}///m/mlops_Inspection`;
      await side.recorder.waitFor((all) => all.some((m) => m.topic === topic), topic, 30000);
      // Each sample leaves other statuses (a RETAKE reason, another component count): each must fit.
      await waitForStatus(page, condition, new RegExp(EXPECTED[file]!, 'i'));
      problems.push(...(await layoutProblems('vqi-inspection')).map((p) => `after ${file}: ${p}`));
    }
    assert.deepEqual(problems, []);
  });

  it('every example: each runs as its comment says, then no status overlaps and the flow fits the workspace', async () => {
    // Statuses worth looking at come from a run: the VQI tab ran above; the others here.
    const collect = await fetch(`${editor.session.url}/vqi/collect?asset=tower-9&collect=true`, {
      method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: RUSTY_TOWER,
    });
    assert.equal(collect.status, 200, await collect.text());
    await waitForStatus(page, (await nodesOnTab(page, tabs['collect-training-data']!, 'mlops-collect'))[0]!, /./);
    await waitForStatus(page, (await nodesOnTab(page, tabs['predictive-maintenance']!, 'mlops-condition'))[0]!, /./, 60000);
    const predict = await fetch(`${editor.session.url}/pm/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: { aa_000: 12 } }) });
    assert.equal(predict.status, 200, await predict.text());
    await waitForStatus(page, (await nodesOnTab(page, tabs['predictive-maintenance']!, 'mlops-classify'))[1]!, /./);
    const quantize = (await nodesOnTab(page, tabs['quantize-model']!, 'mlops-quantize'))[0]!;
    await clickInject(page, (await nodesOnTab(page, tabs['quantize-model']!, 'inject'))[0]!);
    await waitForStatus(page, quantize, /int8/, 240000);
    await waitForStatus(page, (await nodesOnTab(page, tabs['tedge-telemetry']!, 'mlops-c8y-out'))[0]!, /./);

    const problems: string[] = [];
    for (const name of examples) problems.push(...await layoutProblems(name));
    assert.deepEqual(problems, []);
  });

  it('raised no script error in the editor', () => {
    assert.deepEqual(editor.session.scriptErrors, []);
  });
});
