// The loop, end to end: a running flow collects pictures → dataset export → fine-tune a few steps (smoke size) →
// int8 quantize → publish to the test Cumulocity → deploy; a simulated thin-edge agent downloads the binary and
// installs it through the onnx-model plugin → the running flow hot-swaps and its results carry the new version.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeTenant } from '../fixtures/c8y-tenant';
import { nextMessage, repoRoot, testHelper } from '../helpers/flow';
import { requirePrerequisite } from '../helpers/prerequisites';
import { VQI_PICTURES, vqiNodes, vqiPipeline } from '../helpers/vqi-pipeline';

const CLI = path.join(repoRoot, 'dist', 'bin', 'edge-mlops.js');
const PYTHON = '/usr/bin/python3';

function command(file: string, args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: { ...process.env, ...env }, cwd: repoRoot, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.slice(0, 3).join(' ')} failed: ${stderr || err.message}`));
      else resolve({ stdout, stderr });
    });
  });
}

describe('the feedback loop, end to end', function () {
  this.timeout(600000);
  let dir: string;
  let store: string;
  let tenant: FakeTenant;
  const previousStore = process.env.EDGE_MLOPS_MODEL_STORE;

  before(async function () {
    let missing: string | undefined;
    try { execFileSync(PYTHON, ['-c', 'import torch, onnx, PIL'], { stdio: 'pipe' }); } catch { missing = `${PYTHON} cannot import torch, onnx and PIL (training step)`; }
    requirePrerequisite(this, missing);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'feedback-loop-'));
    store = path.join(dir, 'store');
    process.env.EDGE_MLOPS_MODEL_STORE = store;
    tenant = new FakeTenant({ basic: 't7/ops:pa55' });
    await tenant.start();
  });
  after(async () => {
    await testHelper.unload();
    await tenant?.stop();
    if (previousStore === undefined) delete process.env.EDGE_MLOPS_MODEL_STORE;
    else process.env.EDGE_MLOPS_MODEL_STORE = previousStore;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('collects, retrains, quantizes, publishes, deploys, and the running flow swaps to the new model', async () => {
    const plugin = (...args: string[]) => command(process.execPath, [CLI, 'sm-plugin', ...args], { EDGE_MLOPS_MODEL_STORE: store });
    await plugin('install', 'vqi-demo', '--module-version', '1.0.0', '--file', path.join(repoRoot, 'models', 'vqi-demo.onnx'));

    // 1. The device's flow, on the store's model, keeps what it is asked to keep.
    const collectDir = path.join(dir, 'collect');
    await testHelper.load(vqiNodes(), vqiPipeline({ directory: collectDir, rules: [{ kind: 'requested' }] }, [], 'store:vqi-demo'));
    const model = testHelper.getNode('model');
    const inspect = async (payload: Buffer, extra: object = {}) => {
      const result = nextMessage('out', 60000);
      testHelper.getNode('image').receive({ payload, ...extra });
      return result;
    };
    for (const [i, picture] of VQI_PICTURES.entries()) {
      const msg = await inspect(picture, { collect: true, assetId: `tower-${i}` });
      assert.equal(msg.collected.kept, true);
      assert.equal(msg.model.version, '1.0.0');
    }

    // 2. Export and fine-tune from the shipped model (smoke size), 3. quantize with the exported pictures.
    const data = path.join(dir, 'dataset');
    const exported = JSON.parse((await command(process.execPath, [CLI, 'dataset', 'export', collectDir, '--out', data, '--size', '256'])).stdout);
    assert.equal(exported.train, VQI_PICTURES.length);
    const tuned = path.join(dir, 'vqi-demo-1.1.0.onnx');
    await command(PYTHON, [path.join(repoRoot, 'training', 'train.py'), '--smoke', '--data', data, '--init', path.join(repoRoot, 'models', 'vqi-demo.onnx'), '--version', '1.1.0', '--threads', '1', '--out', tuned]);
    const quantized = path.join(dir, 'vqi-demo-1.1.0-int8.onnx');
    await command(process.execPath, [CLI, 'quantize', tuned, quantized, '--mode', 'static', '--calibration', path.join(data, 'train', 'images'), '--limit', '3', '--no-compare']);

    // 4. Publish to the tenant and deploy to the device.
    const env = { C8Y_BASEURL: tenant.url, C8Y_TENANT: 't7', C8Y_USER: 'ops', C8Y_PASSWORD: 'pa55' };
    const published = JSON.parse((await command(process.execPath, [CLI, 'c8y', 'publish', 'model', quantized, '--name', 'vqi-demo', '--version', '1.1.0'], env)).stdout);
    assert.equal(published.softwareType, 'onnx-model');
    const deviceId = tenant.addDevice('edge-01', 'edge-01');
    tenant.deviceAnswers(deviceId, { status: 'NEVER' });

    // The device's agent: download the binary (thin-edge's proxy adds the device's credentials), run the plugin,
    // report the outcome. The flow swaps when the store's active version changes.
    const swapped = new Promise<{ version: string }>((resolve) => model.once('model-swap', (...args: unknown[]) => resolve(args[1] as { version: string })));
    const agentDone = new Promise<void>((resolve, reject) => {
      tenant.once('operation', (operation: Record<string, any>) => {
        (async () => {
          const [update] = operation.c8y_SoftwareUpdate as { name: string; version: string; url: string; softwareType: string; action: string }[];
          assert.deepEqual([update!.softwareType, update!.action, update!.url], ['onnx-model', 'install', published.url]);
          operation.status = 'EXECUTING';
          const res = await fetch(update!.url, { headers: { authorization: `Basic ${Buffer.from('t7/ops:pa55').toString('base64')}` } });
          const download = path.join(dir, `${update!.name}_${update!.version}`);
          fs.writeFileSync(download, Buffer.from(await res.arrayBuffer()));
          await plugin('install', update!.name, '--module-version', update!.version, '--file', download);
          fs.rmSync(download);
          operation.status = 'SUCCESSFUL';
        })().then(resolve, (err) => { operation.status = 'FAILED'; operation.failureReason = String(err); reject(err); });
      });
    });
    const deployed = JSON.parse((await command(process.execPath, [CLI, 'c8y', 'deploy', '--device', 'edge-01', '--software', 'vqi-demo', '--version', '1.1.0', '--poll', '0.05'], env)).stdout);
    await agentDone;
    assert.deepEqual(deployed.succeeded.map((o: { status: string }) => o.status), ['SUCCESSFUL']);

    // 5. The running flow serves the new version; what it collects says so.
    assert.equal((await swapped).version, '1.1.0');
    const after = await inspect(VQI_PICTURES[0]!, { collect: true, assetId: 'tower-new' });
    assert.equal(after.model.version, '1.1.0');
    assert.ok(['OK', 'WARNING', 'CRITICAL', 'RETAKE'].includes(after.condition.state));
    const meta = JSON.parse(fs.readFileSync(path.join(collectDir, after.collected.id, 'sample.json'), 'utf8'));
    assert.equal(meta.model.version, '1.1.0');
    assert.deepEqual(meta.flow, { name: 'vqi-flow', version: '1.2.0' });
  });
});
