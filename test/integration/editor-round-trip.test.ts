// Every node of the package through the real editor (Chromium), the way a user works: Import ▸ Examples, open the
// node's dialog, change a setting, Done, Deploy with the editor's button, then run a picture (or sensor data) through
// and check what the runtime did with the new setting. One browser and one runtime for the whole file; the steps
// build on each other in order, as a user's session would.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { EMPTY_START, useEditor } from '../helpers/editor';
import {
  debugMessage, deployedFlow, deployFromEditor, importExample, nodesOnTab, openConfigFromDialog, openDialog, pressDone,
  pressUpdate, recordDebugMessages, waitForStatus, cancelDialogs, clearDebugMessages, clickInject,
} from '../helpers/editor-actions';
import { readQuantizationRecord } from '../../lib/quantize';
import { repoRoot } from '../helpers/flow';
import { EXPECTED_STATES as EXPECTED, postPicture, RUSTY_TOWER as rusty, useThinEdgeSide } from '../helpers/vqi-example';

declare const RED: any;

const PACKAGE = '@edge-mlops/node-red-vision';
const examples = fs.readdirSync(path.join(repoRoot, 'examples')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));

describe('every node through the editor: Import ▸ Examples, dialog, Deploy, run', function () {
  this.timeout(180000);
  const side = useThinEdgeSide();
  // Port 1: thin-edge is not reachable until the connection is set in its dialog (a step below).
  const editor = useEditor(() => ({ ...EMPTY_START, env: side.env({ TEDGE_MQTT_PORT: '1' }) }));
  let page: Page;
  const tabs: Record<string, string> = {};

  /** POST /vqi/inspect as the example's HTTP path expects it. */
  const inspect = (asset: string) => postPicture(editor.session.url, asset);
  async function only(tab: string, type: string): Promise<string> {
    const ids = await nodesOnTab(page, tabs[tab]!, type);
    assert.equal(ids.length, 1, `${tab} has ${ids.length} ${type} nodes`);
    return ids[0]!;
  }
  /** Opens the node's dialog, lets `change` edit it, presses Done and Deploy. */
  async function editAndDeploy(nodeId: string, change: () => Promise<void>): Promise<void> {
    await openDialog(page, nodeId);
    await change();
    await pressDone(page);
    await deployFromEditor(page);
  }

  before(async () => {
    page = editor.page;
    page.setDefaultTimeout(20000);
    await recordDebugMessages(page);
  });

  afterEach(async () => {
    if (page) await cancelDialogs(page);
  });

  it('imports every example from Import ▸ Examples and deploys them with the Deploy button', async () => {
    for (const name of examples) tabs[name] = await importExample(page, PACKAGE, name);
    await deployFromEditor(page);
    const { status, body } = await inspect('tower-1');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.state, EXPECTED['tower-rusty.jpg']);
    assert.equal(body.severity, 'CRITICAL');
    assert.ok(body.components > 1, `the rusty tower has ${body.components} components`);
    await waitForStatus(page, await only('vqi-inspection', 'mlops-condition'), /: CRITICAL/);
  });

  it('mlops-c8y: the thin-edge broker set in the connection dialog receives the inspection', async () => {
    await editAndDeploy(await only('vqi-inspection', 'mlops-c8y-out'), async () => {
      await openConfigFromDialog(page, 'connection');
      await page.fill('#node-config-input-mqttHost', '127.0.0.1');
      await page.fill('#node-config-input-mqttPort', String(side.broker.port));
      await pressUpdate(page);
    });
    assert.equal((await inspect('tower-2')).status, 200);
    await side.recorder.waitFor((all) => all.some((m) => m.topic === 'te/device/tower-2///m/mlops_Inspection'), 'the measurement of tower-2', 30000);
  });

  it('mlops-c8y-out: a measurement type changed in the dialog names the te/ topic', async () => {
    await editAndDeploy(await only('vqi-inspection', 'mlops-c8y-out'), () => page.fill('#node-input-measurementType', 'vqi_check'));
    assert.equal((await inspect('tower-3')).status, 200);
    await side.recorder.waitFor((all) => all.some((m) => m.topic === 'te/device/tower-3///m/vqi_check'), 'te/device/tower-3///m/vqi_check', 30000);
  });

  it('mlops-condition: CRITICAL mapped to MAJOR in the dialog raises a major alarm', async () => {
    await editAndDeploy(await only('vqi-inspection', 'mlops-condition'), async () => { await page.selectOption('#node-input-severityCRITICAL', 'MAJOR'); });
    const { status, body } = await inspect('tower-4');
    assert.deepEqual([status, body.state, body.severity], [200, 'CRITICAL', 'MAJOR']);
    const topic = 'te/device/tower-4///a/mlops_AssetCondition';
    await side.recorder.waitFor((all) => all.some((m) => m.topic === topic && m.payload !== ''), topic, 30000);
    assert.equal(JSON.parse(side.recorder.on(topic).at(-1)!.payload).severity, 'major');
  });

  it('mlops-segment: at most 1 component when set so in the dialog', async () => {
    await editAndDeploy(await only('vqi-inspection', 'mlops-segment'), () => page.fill('#node-input-maxComponents', '1'));
    const { status, body } = await inspect('tower-5');
    assert.deepEqual([status, body.components], [200, 1]);
  });

  it('mlops-tensor: a size that contradicts the model is refused with HTTP 400 saying so; cleared, it works again', async () => {
    const tensor = await only('vqi-inspection', 'mlops-tensor');
    await editAndDeploy(tensor, async () => {
      await page.fill('#node-input-width', '128');
      await page.fill('#node-input-height', '128');
    });
    try {
      const refused = await inspect('tower-6');
      assert.equal(refused.status, 400);
      assert.match(refused.body.error, /expects .*256.* but the node is set to 128x128/);
      assert.equal((await waitForStatus(page, tensor, /expects 256x256/)).fill, 'red');
    } finally {
      await cancelDialogs(page);
      await editAndDeploy(tensor, async () => {
        await page.fill('#node-input-width', '');
        await page.fill('#node-input-height', '');
      });
    }
    assert.equal((await inspect('tower-6')).status, 200);
  });

  it('mlops-image: a megapixel limit below the picture refuses it with HTTP 400; raised again, it passes', async () => {
    const image = await only('vqi-inspection', 'mlops-image');
    await editAndDeploy(image, () => page.fill('#node-input-maxMegapixels', '0.01'));
    try {
      const refused = await inspect('tower-7');
      assert.equal(refused.status, 400);
      assert.match(refused.body.error, /more than the limit of 10000 pixels/);
    } finally {
      await cancelDialogs(page);
      await editAndDeploy(image, () => page.fill('#node-input-maxMegapixels', '50'));
    }
    assert.equal((await inspect('tower-7')).status, 200);
  });

  it('mlops-infer: queue settings from the dialog reach the runtime and pictures still run', async () => {
    const infer = await only('vqi-inspection', 'mlops-infer');
    await editAndDeploy(infer, async () => {
      await page.fill('#node-input-queueSize', '2');
      await page.selectOption('#node-input-queuePolicy', 'drop-oldest');
    });
    const deployed = (await deployedFlow(editor.session.url)).find((n) => n.id === infer)!;
    assert.deepEqual([String(deployed.queueSize), deployed.queuePolicy], ['2', 'drop-oldest']);
    assert.equal((await inspect('tower-8')).status, 200);
    await waitForStatus(page, infer, /\d+ ms/);
  });

  it('mlops-model: a model path that does not exist fails pictures with the reason; restored, they pass', async () => {
    const infer = await only('vqi-inspection', 'mlops-infer');
    const setPath = (value: string) => editAndDeploy(infer, async () => {
      await openConfigFromDialog(page, 'model');
      await page.fill('#node-config-input-path', value);
      await pressUpdate(page);
    });
    await setPath('bundled:no-such-model.onnx');
    try {
      const refused = await inspect('tower-9');
      assert.equal(refused.status, 400);
      assert.match(refused.body.error, /no-such-model\.onnx/);
    } finally {
      await cancelDialogs(page);
      await setPath('bundled:vqi-demo.onnx');
    }
    assert.equal((await inspect('tower-9')).status, 200);
  });

  it('mlops-align: a sequence window of 2 set in the dialog gives the model a shape it refuses (debug sidebar); 1 again, predictions flow', async function () {
    if (!tabs['predictive-maintenance']) this.skip();
    const tab = tabs['predictive-maintenance']!;
    const align = await only('predictive-maintenance', 'mlops-align');
    const debugNodes = await page.evaluate((z) => (globalThis as any).RED.nodes.filterNodes({ z, type: 'debug' })
      .map((n: { id: string; complete: string }) => [n.complete, n.id]), tab) as [string, string][];
    const errors = debugNodes.find(([complete]) => complete === 'error')![1];
    const conditions = debugNodes.find(([complete]) => complete === 'condition')![1];
    await debugMessage(page, conditions, /state/);
    await editAndDeploy(align, () => page.fill('#node-input-sequenceLength', '2'));
    try {
      await clearDebugMessages(page);
      await debugMessage(page, errors, /shape/);
    } finally {
      await cancelDialogs(page);
      await editAndDeploy(align, () => page.fill('#node-input-sequenceLength', '1'));
    }
    await clearDebugMessages(page);
    await debugMessage(page, conditions, /state/);
  });

  it('mlops-classify: labels set in the dialog name the prediction in its status', async function () {
    if (!tabs['predictive-maintenance']) this.skip();
    // The classify node of the replayed sensor stream (the one feeding mlops-condition), not the /pm/predict one.
    const classify = await page.evaluate((z) => {
      const RED = (globalThis as any).RED;
      return RED.nodes.filterNodes({ z, type: 'mlops-classify' })
        .find((n: object) => RED.nodes.filterLinks({ source: n }).some((l: { target: { type: string } }) => l.target.type === 'mlops-condition')).id as string;
    }, tabs['predictive-maintenance']!);
    await editAndDeploy(classify, () => page.fill('#node-input-labels', 'fine, failing'));
    await waitForStatus(page, classify, /\b(fine|failing)\b/);
  });

  it('mlops-quantize: calibration inputs set in the dialog are what the int8 model was calibrated with', async () => {
    const tab = tabs['quantize-model']!;
    const quantize = await only('quantize-model', 'mlops-quantize');
    const modelFile = await page.evaluate((z) => RED.nodes.filterNodes({ z, type: 'debug' })
      .find((n: { complete: string }) => n.complete === 'modelFile').id as string, tab);
    await editAndDeploy(quantize, async () => {
      await page.fill('#node-input-samples', '3');
      await page.uncheck('#node-input-compare');
    });
    await clickInject(page, await only('quantize-model', 'inject'));
    assert.equal(await debugMessage(page, modelFile, /int8/, 180000), 'models/vqi-demo.int8.onnx');
    await waitForStatus(page, quantize, /^int8: /);
    const written = fs.readFileSync(path.join(editor.session.userDir, 'models', 'vqi-demo.int8.onnx'));
    const record = readQuantizationRecord(written)!;
    assert.deepEqual([record.calibrationSamples, record.version], [3, '1.0.0-int8']);
  });

  it('mlops-model: the VQI model\'s file list offers the int8 model just made; chosen, inspections run on it', async () => {
    const infer = await only('vqi-inspection', 'mlops-infer');
    const choose = async (file: string) => editAndDeploy(infer, async () => {
      await openConfigFromDialog(page, 'model');
      await page.waitForSelector(`#node-config-mlops-model-choose option[value="${file}"]`, { state: 'attached' });
      await page.selectOption('#node-config-mlops-model-choose', file);
      await pressUpdate(page);
    });
    await choose('models/vqi-demo.int8.onnx');
    try {
      const { status, body } = await inspect('tower-11');
      assert.deepEqual([status, body.state], [200, 'CRITICAL']);
      const twin = 'te/device/tower-11///twin/mlops_Model';
      await side.recorder.waitFor((all) => all.some((m) => m.topic === twin), twin, 30000);
      assert.equal(JSON.parse(side.recorder.on(twin).at(-1)!.payload).version, '1.0.0-int8');
    } finally {
      await cancelDialogs(page);
      await choose('bundled:vqi-demo.onnx');
    }
  });

  it('mlops-collect: a store folder set in the dialog receives the picture asked for with ?collect=true', async () => {
    const store = fs.mkdtempSync(path.join(os.tmpdir(), 'collect-store-'));
    try {
      await editAndDeploy(await only('collect-training-data', 'mlops-collect'), () => page.fill('#node-input-directory', store));
      const res = await fetch(`${editor.session.url}/vqi/collect?asset=tower-10&collect=true`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: rusty });
      const body = await res.json() as { collected: { kept: boolean; id: string } };
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.collected.kept, true);
      const files = fs.readdirSync(store, { recursive: true }).map(String);
      assert.ok(files.some((f) => f.includes(body.collected.id)), `${body.collected.id} not in ${files.join(', ')}`);
    } finally {
      fs.rmSync(store, { recursive: true, force: true });
    }
  });

  it('covered every node type of the package', function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const covered = (this.test!.parent!.tests.map((t) => /^(mlops-[a-z0-9-]+):/.exec(t.title)?.[1]).filter(Boolean) as string[]);
    assert.deepEqual(Object.keys(pkg['node-red'].nodes).filter((type) => !covered.includes(type)), []);
  });

  it('raised no script error in the editor', () => {
    assert.deepEqual(editor.session.scriptErrors, []);
  });
});
