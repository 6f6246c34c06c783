// Micro-batching against real onnxruntime sessions: every caller gets its own rows back, in order, whether its
// request ran stacked with others or alone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { MicroBatcher, ModelHost, hasFreeBatchDimension, loadModelInfo, type ModelFeed } from '../../../lib/inference';
import { buildModel, makeNode, makeValueInfo } from '../../../lib/onnx';
import { floats, floatsOf, modelDir, weightedSumModel } from '../../fixtures/inference-models';

/** y = xᵀ: the output's first dimension is 2, not the batch, so stacked requests cannot be split. */
function transposed(): string {
  const file = path.join(modelDir, 'batch-transposed.onnx');
  fs.writeFileSync(file, buildModel({
    nodes: [makeNode('Transpose', ['x'], ['y'], { perm: [1, 0] })],
    inputs: [makeValueInfo('x', 'float32', ['batch', 2])],
    outputs: [makeValueInfo('y', 'float32', [2, 'batch'])],
  }));
  return file;
}

const row = (a: number, b: number): ModelFeed => ({ x: { data: floats([a, b]), type: 'float32', dims: [1, 2] } });

describe('micro-batching (lib/inference/micro-batch)', function () {
  this.timeout(20000);
  const hosts: ModelHost[] = [];
  async function host(file: string): Promise<ModelHost> {
    const h = new ModelHost({ modelPath: file, session: { intraOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' }, workers: 1, warmup: true });
    hosts.push(h);
    await h.ready();
    return h;
  }
  after(async () => { await Promise.all(hosts.map((h) => h.close())); });

  it('recognises a free batch dimension', () => {
    assert.equal(hasFreeBatchDimension(loadModelInfo(weightedSumModel())), true);
    assert.equal(hasFreeBatchDimension({ ...loadModelInfo(weightedSumModel()), inputs: [{ name: 'x', type: 'float32', dims: [1, 2] }] }), false);
  });

  it('runs a full batch as one run and gives each caller its own rows, a two-row request included', async () => {
    const model = await host(weightedSumModel());
    const batcher = new MicroBatcher((feed, fetch) => model.run(feed, fetch), { maxBatch: 4, maxDelayMs: 60000, concurrency: 1 });
    const twoRows: ModelFeed = { x: { data: floats([5, 6, 7, 8]), type: 'float32', dims: [2, 2] } };
    const results = await Promise.all([batcher.submit(row(1, 2)), batcher.submit(twoRows), batcher.submit(row(3, 4)), batcher.submit(row(0.5, 0))]);
    assert.deepEqual(results.map((r) => r.batchSize), [4, 4, 4, 4]);
    assert.deepEqual(results.map((r) => floatsOf(r.outputs.y!.data)), [[21], [65, 87], [43], [0.5]]);
    assert.deepEqual(results.map((r) => r.outputs.y!.dims), [[1, 1], [2, 1], [1, 1], [1, 1]]);
    for (const r of results) assert.equal(r.outputs.y!.data.byteOffset, 0);
  });

  it('runs what has gathered once the wait is over, and keeps differently shaped requests apart', async () => {
    const model = await host(weightedSumModel());
    const batcher = new MicroBatcher((feed, fetch) => model.run(feed, fetch), { maxBatch: 8, maxDelayMs: 20, concurrency: 1 });
    const other: ModelFeed = { x: { data: floats([1, 1, 1]), type: 'float32', dims: [1, 3] } };
    const results = await Promise.allSettled([batcher.submit(row(1, 1)), batcher.submit(other), batcher.submit(row(2, 2)), batcher.submit(row(3, 3))]);
    const [a, wrong, b, c] = results;
    assert.equal(wrong!.status, 'rejected'); // [1, 3] does not fit the model, and fails alone
    assert.deepEqual([a, b, c].map((r) => (r as PromiseFulfilledResult<any>).value.batchSize), [3, 3, 3]);
    assert.deepEqual([a, b, c].map((r) => floatsOf((r as PromiseFulfilledResult<any>).value.outputs.y.data)), [[11], [22], [33]]);
  });

  it('a model whose outputs do not keep the batch dimension runs each request alone, each with its own answer', async () => {
    const model = await host(transposed());
    const batcher = new MicroBatcher((feed, fetch) => model.run(feed, fetch), { maxBatch: 3, maxDelayMs: 60000, concurrency: 1 });
    const results = await Promise.all([batcher.submit(row(1, 2)), batcher.submit(row(3, 4)), batcher.submit(row(5, 6))]);
    assert.deepEqual(results.map((r) => [r.batchSize, floatsOf(r.outputs.y!.data), r.outputs.y!.dims]),
      [[1, [1, 2], [2, 1]], [1, [3, 4], [2, 1]], [1, [5, 6], [2, 1]]]);
    // From now on it does not try to stack requests again.
    const again = await Promise.all([batcher.submit(row(7, 8)), batcher.submit(row(9, 10))]);
    assert.deepEqual(again.map((r) => r.batchSize), [1, 1]);
  });
});
