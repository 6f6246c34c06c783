import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WorkerPool } from '../../../lib/inference';
import type { ModelConfigNode } from '../../../nodes/shared/model-node';
import { catchNode, nextMessage, nodeModule, repoRoot, testHelper, withCatch } from '../../helpers/flow';
import { convModel, floatsOf, modelDir, notOnnxFile, tensorMessage } from '../../fixtures/inference-models';

const nodes = [nodeModule('mlops-model'), nodeModule('mlops-infer'), catchNode];

function flow(modelPath: string): object[] {
  return withCatch({ id: 'infer', type: 'mlops-infer', model: 'model', queueSize: 2, queuePolicy: 'queue' },
    [{ id: 'model', type: 'mlops-model', path: modelPath, workers: 1, warmup: true, intraOpThreads: 1 }]);
}

describe('mlops-model config node', function () {
  this.timeout(120000);

  it('terminates its workers on every redeploy: 100 redeploys leak no thread and bounded memory', async () => {
    const modelPath = convModel();
    let rssAfterWarmUp = 0;
    for (let deploy = 1; deploy <= 100; deploy++) {
      await testHelper.load(nodes, flow(modelPath));
      // Every tenth deploy is replaced while the model is still loading, the rest once it is ready.
      if (deploy % 10 !== 5) {
        await (testHelper.getNode('model') as unknown as ModelConfigNode).ready();
        assert.equal(WorkerPool.liveWorkerCount(), 1, `deploy ${deploy}: one worker while deployed`);
      }
      if (deploy % 25 === 0) {
        const out = nextMessage('out');
        testHelper.getNode('infer').receive({ tensor: tensorMessage([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]) });
        assert.deepEqual(floatsOf((await out).outputs.y.data), [37.5, 47.5, 67.5, 77.5]);
      }
      await testHelper.unload();
      assert.equal(WorkerPool.liveWorkerCount(), 0, `deploy ${deploy}: every worker exited after the flow stopped`);
      if (deploy === 10) rssAfterWarmUp = process.memoryUsage().rss;
    }
    const growthMb = (process.memoryUsage().rss - rssAfterWarmUp) / 2 ** 20;
    // A leaked worker thread costs several MB of RSS each; 90 of them would show as hundreds of MB.
    console.log(`      RSS growth over redeploys 11…100: ${growthMb.toFixed(1)} MB`);
    assert.ok(growthMb < 100, `RSS grew ${growthMb.toFixed(1)} MB over 90 redeploys`);
  });

  it('loads one model for two infer nodes and exposes its path, info and worker count', async () => {
    await testHelper.load(nodes, [
      ...flow(convModel()),
      { id: 'infer2', type: 'mlops-infer', model: 'model', z: 'tab', x: 300, y: 400, wires: [[]] },
    ]);
    const model = testHelper.getNode('model') as unknown as ModelConfigNode;
    await model.ready();
    assert.equal(WorkerPool.liveWorkerCount(), 1);
    assert.equal(model.workers, 1);
    assert.equal(path.basename(model.modelPath), 'conv.onnx');
    assert.deepEqual(model.info?.outputs, [{ name: 'y', type: 'float32', dims: ['batch', 1, 2, 2] }]);
    await testHelper.unload();
    assert.equal(WorkerPool.liveWorkerCount(), 0);
  });

  describe('model-info admin endpoint', () => {
    // The endpoint answers for models under the user directory (and the bundled ones) only.
    before(() => { testHelper.settings({ userDir: modelDir }); return testHelper.load(nodes, flow(convModel())); });
    after(async () => { await testHelper.unload(); testHelper.settings({ userDir: undefined }); });
    const get = (query: Record<string, string>) => testHelper.request().get('/edge-mlops/model-info').query(query);

    it('returns the model description for a valid path', async () => {
      const res = await get({ path: convModel() }).expect(200);
      assert.deepEqual(res.body.inputs, [{ name: 'x', type: 'float32', dims: ['batch', 1, 3, 3] }]);
      assert.deepEqual(res.body.outputs, [{ name: 'y', type: 'float32', dims: ['batch', 1, 2, 2] }]);
      assert.deepEqual(res.body.metadata, { name: 'conv-demo', version: '1.2' });
      assert.equal(res.body.path, convModel());
    });

    it('answers 404 for a missing file, 422 for a file that is not ONNX, 400 without a path', async () => {
      const missing = await get({ path: path.join(modelDir, 'gone.onnx') }).expect(404);
      assert.equal(missing.body.error, 'model-not-found');
      assert.match(missing.body.message, /gone\.onnx does not exist/);
      const notOnnx = await get({ path: notOnnxFile() }).expect(422);
      assert.equal(notOnnx.body.error, 'not-onnx');
      assert.match(notOnnx.body.message, /is not an ONNX model/);
      const folder = await get({ path: modelDir }).expect(422);
      assert.equal(folder.body.error, 'model-not-file');
      const empty = await get({}).expect(400);
      assert.equal(empty.body.error, 'no-path');
    });
  });
});

describe('mlops-model path setting', function () {
  this.timeout(30000);
  afterEach(async () => {
    await testHelper.unload();
    testHelper.settings({ userDir: undefined });
    delete process.env.MLOPS_TEST_MODELS;
  });

  async function loadedPath(setting: string): Promise<string> {
    await testHelper.load(nodes, flow(setting));
    const model = testHelper.getNode('model') as unknown as ModelConfigNode;
    await model.ready();
    return model.modelPath;
  }

  it('resolves ${NAME} from the environment', async () => {
    convModel();
    process.env.MLOPS_TEST_MODELS = modelDir;
    assert.equal(await loadedPath('${MLOPS_TEST_MODELS}/conv.onnx'), path.join(modelDir, 'conv.onnx'));
  });

  it('resolves a relative path against Node-RED\'s userDir', async () => {
    convModel();
    testHelper.settings({ userDir: path.dirname(modelDir) });
    assert.equal(await loadedPath(`${path.basename(modelDir)}/conv.onnx`), path.join(modelDir, 'conv.onnx'));
  });
});

describe('mlops-model and mlops-infer catalogs', () => {
  it('translate every error code the inference code can raise', () => {
    const source = ['lib/inference', 'nodes'].flatMap((dir) => fs.readdirSync(path.join(repoRoot, dir))
      .filter((f) => f.endsWith('.ts') && (dir !== 'nodes' || /mlops-(infer|model)/.test(f)))
      .map((f) => fs.readFileSync(path.join(repoRoot, dir, f), 'utf8'))).join('\n');
    const codes = new Set([...source.matchAll(/new PipelineError\(\s*'([\w-]+)'/g)].map((m) => m[1]!));
    const catalog = (type: string) => JSON.parse(fs.readFileSync(path.join(repoRoot, 'locales', 'en-US', `${type}.json`), 'utf8'))[type].errors;
    const known = { ...catalog('mlops-model'), ...catalog('mlops-infer') };
    assert.ok(codes.size > 15, `found only ${codes.size} codes`);
    assert.deepEqual([...codes].filter((code) => !(code in known)), []);
  });
});
