// Hot swap under load in a real Node-RED runtime: a steady stream of inferences through mlops-infer on a store model
// while another process (the onnx-model plugin) activates new versions and one broken version.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { WorkerPool } from '../../../lib/inference';
import { ModelStore, sha256Of } from '../../../lib/model-store';
import { catchNode, nodeModule, repoRoot, testHelper, withCatch, type TestNode } from '../../helpers/flow';
import { floatsOf, tensorMessage } from '../../fixtures/inference-models';
import { offsetModel, tempDir, unloadableModel, writeDownload } from '../../fixtures/store-models';

const CLI = path.join(repoRoot, 'dist', 'bin', 'edge-mlops.js');
const nodes = [nodeModule('mlops-model'), nodeModule('mlops-infer'), catchNode];

describe('mlops-model store models: hot swap under load', function () {
  this.timeout(240000);
  let dir: string;
  let store: string;
  const previousEnv = process.env.EDGE_MLOPS_MODEL_STORE;

  /** The onnx-model plugin in its own process, as thin-edge calls it. */
  const plugin = (...args: string[]) => new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, 'sm-plugin', ...args], { env: { ...process.env, EDGE_MLOPS_MODEL_STORE: store } },
      (err, _stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr }));
  });

  before(async () => {
    dir = tempDir('mlops-hotswap-');
    store = path.join(dir, 'store');
    process.env.EDGE_MLOPS_MODEL_STORE = store;
    assert.equal((await plugin('install', 'offset', '--module-version', '1', '--file', writeDownload(dir, 'offset_1', offsetModel(1)))).code, 0);
  });
  after(() => {
    if (previousEnv === undefined) delete process.env.EDGE_MLOPS_MODEL_STORE;
    else process.env.EDGE_MLOPS_MODEL_STORE = previousEnv;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => testHelper.unload());

  it('≥ 200 inferences while the version changes twice and a broken one is activated: 0 failures, one switch point each', async () => {
    await testHelper.load(nodes, withCatch({ id: 'infer', type: 'mlops-infer', model: 'model', queueSize: 8, queuePolicy: 'queue' },
      [{ id: 'model', type: 'mlops-model', path: 'store:offset', workers: 1, warmup: true, intraOpThreads: 1 }]));
    const infer = testHelper.getNode('infer');
    const model = testHelper.getNode('model');
    const caught: unknown[] = [];
    testHelper.getNode('caught').on('input', (msg: unknown) => caught.push(msg));
    const statuses: { fill?: string; text?: string }[] = [];
    const status = model.status.bind(model);
    model.status = (s: { fill?: string; text?: string }) => { statuses.push(s); return status(s); };

    const results: { index: number; version: string; offset: number; sha256: string; name: string }[] = [];
    let sent = 0;
    let inFlight = 0;
    let onResult: (() => void) | undefined;
    testHelper.getNode('out').on('input', (msg: any) => {
      inFlight--;
      const y = floatsOf(msg.outputs.y.data);
      results.push({ index: msg.index, version: msg.model?.version, offset: y[0]! - msg.index, sha256: msg.model?.sha256, name: msg.model?.name });
      onResult?.();
    });
    const send = () => {
      inFlight++;
      infer.receive({ index: sent, tensor: tensorMessage([sent, 0, 0, 0], [1, 4]) });
      sent++;
    };
    /** Keeps two messages in flight until `until()` holds once a result arrives. */
    const stream = (until: () => boolean) => new Promise<void>((resolve, reject) => {
      onResult = () => {
        if (caught.length) return reject(new Error(`an inference failed: ${JSON.stringify(caught[0])}`));
        if (until()) { onResult = undefined; return resolve(); }
        while (inFlight < 2) send();
      };
      while (inFlight < 2) send();
    });
    const seen = (version: string) => results.filter((r) => r.version === version).length >= 20;
    const countSince = (start: number) => results.length - start;

    await stream(() => results.length >= 60);
    // Activate 2 from another process while the stream runs.
    let mark = results.length;
    const installed2 = plugin('install', 'offset', '--module-version', '2', '--file', writeDownload(dir, 'offset_2', offsetModel(2)));
    await stream(() => seen('2') && countSince(mark) >= 60);
    assert.equal((await installed2).code, 0);

    // A broken version 3 is activated behind the store's back (e.g. written by hand): the node keeps serving 2.
    const broken = new ModelStore(store).resolve('offset', '2');
    const dir3 = path.join(store, 'offset', '3');
    fs.mkdirSync(dir3);
    fs.writeFileSync(path.join(dir3, 'model.onnx'), unloadableModel());
    fs.writeFileSync(path.join(dir3, 'manifest.json'), JSON.stringify({ ...broken.manifest, version: '3', sha256: sha256Of(unloadableModel()), installedAt: new Date().toISOString() }));
    const failed = new Promise<string>((resolve) => model.once('model-swap-failed', (version: string) => resolve(version)));
    mark = results.length;
    const activated3 = plugin('install', 'offset', '--module-version', '3');
    let failedVersion: string | undefined;
    void failed.then((v) => { failedVersion = v; });
    await stream(() => failedVersion !== undefined && countSince(mark) >= 60);
    assert.equal((await activated3).code, 0);
    assert.equal(failedVersion, '3');
    const warning = statuses.filter((s) => s.fill === 'yellow').pop();
    assert.match(warning?.text ?? '', /offset 2 · 3 failed/);

    mark = results.length;
    const installed4 = plugin('install', 'offset', '--module-version', '4', '--file', writeDownload(dir, 'offset_4', offsetModel(4)));
    await stream(() => seen('4') && countSince(mark) >= 40);
    assert.equal((await installed4).code, 0);
    await new Promise<void>((resolve) => { if (inFlight === 0) resolve(); else onResult = () => { if (inFlight === 0) resolve(); }; });

    assert.equal(caught.length, 0, 'no inference failed');
    assert.equal(results.length, sent, 'no message was dropped');
    assert.ok(results.length >= 200, `${results.length} inferences`);
    const byIndex = [...results].sort((a, b) => a.index - b.index);
    for (const r of byIndex) {
      assert.equal(r.name, 'offset');
      assert.match(r.sha256, /^[0-9a-f]{64}$/);
      assert.equal(String(r.offset), r.version, `message ${r.index} ran on ${r.version} and computed with offset ${r.offset}`);
    }
    const versions = byIndex.map((r) => r.version);
    const runs = versions.filter((v, i) => i === 0 || versions[i - 1] !== v);
    assert.deepEqual(runs, ['1', '2', '4'], 'each version change switches the stream at one point; the broken version never ran');
    console.log(`      ${results.length} inferences; switched at messages ${versions.indexOf('2')} and ${versions.indexOf('4')}; 0 failed`);
  });

  it('swaps to a new version and back to the previous one (a rollback without download), releasing each old session', async () => {
    await testHelper.load(nodes, withCatch({ id: 'infer', type: 'mlops-infer', model: 'model' },
      [{ id: 'model', type: 'mlops-model', path: 'store:offset', workers: 1 }]));
    const model = testHelper.getNode('model') as TestNode & { ready(): Promise<unknown> };
    await model.ready();
    const previous = new ModelStore(store).resolve('offset');
    const nextSwap = () => new Promise((resolve) => model.once('model-swap', (...args: unknown[]) => resolve(args[1])));
    let swapped = nextSwap();
    assert.equal((await plugin('install', 'offset', '--module-version', '5', '--file', writeDownload(dir, 'offset_5', offsetModel(5)))).code, 0);
    assert.deepEqual(await swapped, { name: 'offset', version: '5', sha256: sha256Of(offsetModel(5)) });
    swapped = nextSwap();
    assert.equal((await plugin('install', 'offset', '--module-version', previous.version)).code, 0);
    assert.deepEqual(await swapped, { name: 'offset', version: previous.version, sha256: previous.manifest.sha256 });
    await testHelper.unload();
    assert.equal(WorkerPool.liveWorkerCount(), 0, 'every session, old and new, released');
  });

  it('the editor endpoints list the store models and describe a store model (admin API, permission mlops-model.read)', async () => {
    await testHelper.load(nodes, withCatch({ id: 'infer', type: 'mlops-infer', model: 'model' },
      [{ id: 'model', type: 'mlops-model', path: 'store:offset', workers: 1 }]));
    const listed = await testHelper.request().get('/edge-mlops/store-models').expect(200);
    const active = new ModelStore(store).resolve('offset');
    assert.equal(listed.body.root, store);
    assert.deepEqual(listed.body.models.map((m: { name: string; active: string }) => [m.name, m.active]), [['offset', active.version]]);
    const info = await testHelper.request().get('/edge-mlops/model-info').query({ path: 'store:offset' }).expect(200);
    assert.equal(info.body.path, active.modelPath);
    assert.deepEqual(info.body.inputs, [{ name: 'x', type: 'float32', dims: [1, 4] }]);
    const missing = await testHelper.request().get('/edge-mlops/model-info').query({ path: 'store:nothing' }).expect(404);
    assert.equal(missing.body.error, 'store-model-not-found');
    const bad = await testHelper.request().get('/edge-mlops/model-info').query({ path: 'store:../etc' }).expect(400);
    assert.equal(bad.body.error, 'store-bad-name');
  });

  it('a flow deployed before its store model arrives loads it as soon as the plugin installs it', async () => {
    await testHelper.load(nodes, withCatch({ id: 'infer', type: 'mlops-infer', model: 'model' },
      [{ id: 'model', type: 'mlops-model', path: 'store:later', workers: 1 }]));
    const model = testHelper.getNode('model');
    const statuses: { fill?: string; text?: string }[] = [];
    let onStatus: (() => void) | undefined;
    const status = model.status.bind(model);
    model.status = (s: { fill?: string; text?: string }) => { statuses.push(s); onStatus?.(); return status(s); };
    const shown = (fill: string) => new Promise<void>((resolve) => {
      const check = () => { if (statuses.some((s) => s.fill === fill)) { onStatus = undefined; resolve(); } };
      onStatus = check;
      check();
    });
    await assert.rejects((model as unknown as { ready(): Promise<unknown> }).ready(), /no active version of later/);
    await shown('red');
    assert.equal((await plugin('install', 'later', '--module-version', '1.0', '--file', writeDownload(dir, 'later_1', offsetModel(7)))).code, 0);
    await shown('green');
    const out = new Promise<any>((resolve) => testHelper.getNode('out').once('input', resolve));
    testHelper.getNode('infer').receive({ tensor: tensorMessage([1, 2, 3, 4], [1, 4]) });
    const msg = await out;
    assert.deepEqual(floatsOf(msg.outputs.y.data), [8, 9, 10, 11]);
    assert.deepEqual(msg.model, { name: 'later', version: '1.0', sha256: sha256Of(offsetModel(7)) });
  });
});
