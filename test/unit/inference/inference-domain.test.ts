import assert from 'node:assert/strict';
import path from 'node:path';
import { PipelineError } from '../../../lib/errors';
import {
  BoundedQueue, ModelHost, WorkerPool, feedFromMessage, resolveModelPath, loadModelInfo, warmupInputs, type QueuePolicy,
  PACKAGE_ROOT, type ModelState,
} from '../../../lib/inference';
import {
  convModel, floats, floatsOf, missingExternalDataModel, notOnnxFile, slowModel, tensorMessage, unknownOperatorModel, modelDir,
} from '../../fixtures/inference-models';

const SESSION = { intraOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' } as const;

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

async function burst(policy: QueuePolicy): Promise<{ ran: number[]; dropped: number[]; refused: number[]; count: number }> {
  const queue = new BoundedQueue({ capacity: 2, policy, concurrency: 1 });
  const gates = new Map<number, ReturnType<typeof deferred<void>>>();
  const ran: number[] = [];
  const dropped: number[] = [];
  const refused: number[] = [];
  const settled = [1, 2, 3, 4, 5, 6].map((id) => {
    gates.set(id, deferred<void>());
    return queue.submit(async () => { ran.push(id); await gates.get(id)!.promise; return id; })
      .then((outcome) => { if (outcome.dropped) dropped.push(id); }, () => refused.push(id));
  });
  for (const gate of gates.values()) gate.resolve();
  await Promise.all(settled);
  return { ran, dropped, refused, count: queue.dropped };
}

describe('bounded queue', () => {
  it('drop-newest keeps the running and the first waiting messages', async () => {
    assert.deepEqual(await burst('drop-newest'), { ran: [1, 2, 3], dropped: [4, 5, 6], refused: [], count: 3 });
  });
  it('drop-oldest keeps the running and the latest messages', async () => {
    assert.deepEqual(await burst('drop-oldest'), { ran: [1, 5, 6], dropped: [2, 3, 4], refused: [], count: 3 });
  });
  it('queue refuses arrivals beyond the bound with an error', async () => {
    assert.deepEqual(await burst('queue'), { ran: [1, 2, 3], dropped: [], refused: [4, 5, 6], count: 0 });
  });
  it('rejects an unknown policy', () => {
    assert.throws(() => new BoundedQueue({ capacity: 1, policy: 'lifo' as QueuePolicy, concurrency: 1 }), /one of queue, drop-oldest, drop-newest for queuePolicy but received 'lifo'/);
  });
});

describe('model path resolution', () => {
  const context = { userDir: '/data/node-red', env: (name: string) => ({ MODELS: '/opt/models' } as Record<string, string>)[name] };
  it('resolves absolute, userDir-relative, bundled and ${ENV} paths', () => {
    assert.equal(resolveModelPath('/m/a.onnx', context), '/m/a.onnx');
    assert.equal(resolveModelPath('models/a.onnx', context), '/data/node-red/models/a.onnx');
    assert.equal(resolveModelPath('bundled:demo.onnx', context), path.join(PACKAGE_ROOT, 'models', 'demo.onnx'));
    assert.equal(resolveModelPath('${MODELS}/a.onnx', context), '/opt/models/a.onnx');
  });
  it('names what is wrong with a bad path', () => {
    assert.throws(() => resolveModelPath('${NOPE}/a.onnx', context), (e: PipelineError) => e.code === 'env-unset' && /NOPE is not set/.test(e.message));
    assert.throws(() => resolveModelPath('  ', context), (e: PipelineError) => e.code === 'no-path');
    assert.throws(() => resolveModelPath('bundled:../x', context), (e: PipelineError) => e.code === 'bad-bundled-name');
  });
  it('uses 1 for symbolic dimensions when warming up', () => {
    assert.deepEqual(warmupInputs(loadModelInfo(convModel())), [{ name: 'x', type: 'float32', dims: [1, 1, 3, 3] }]);
  });
});

describe('feed from message', () => {
  const info = loadModelInfo(convModel());
  it('maps msg.tensor to the first input, keeping the Buffer', () => {
    const tensor = tensorMessage([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]) as { data: Buffer };
    const feed = feedFromMessage({ tensor }, info);
    assert.equal(feed.x!.data, tensor.data);
    assert.deepEqual(feed.x!.dims, [1, 1, 3, 3]);
  });
  it('accepts any positive size for a symbolic dimension', () => {
    const feed = feedFromMessage({ tensor: { data: floats(new Array(18).fill(0)), type: 'float32', dims: [2, 1, 3, 3] } }, info);
    assert.deepEqual(feed.x!.dims, [2, 1, 3, 3]);
  });
  it('refuses data whose length does not match its dims', () => {
    assert.throws(() => feedFromMessage({ tensor: { data: floats([1, 2]), type: 'float32', dims: [1, 1, 3, 3] } }, info),
      (e: PipelineError) => e.code === 'size-mismatch' && /8 bytes.*needs 36/.test(e.message));
  });
});

describe('worker pool', function () {
  this.timeout(30000);

  it('runs the model on a worker, leaving the caller\'s Buffer intact and returning Buffers', async () => {
    const pool = new WorkerPool({ modelPath: convModel(), session: SESSION, warmup: [] }, 1);
    await pool.start();
    try {
      const input = floats([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const result = await pool.run({ x: { data: input, type: 'float32', dims: [1, 1, 3, 3] } });
      assert.deepEqual(floatsOf(input), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.ok(Buffer.isBuffer(result.outputs.y!.data));
      assert.deepEqual(floatsOf(result.outputs.y!.data), [37.5, 47.5, 67.5, 77.5]);
      assert.deepEqual(result.outputs.y!.dims, [1, 1, 2, 2]);
      assert.equal(result.outputs.y!.type, 'float32');
      assert.ok(result.runMs >= 0 && result.queueMs >= 0);
    } finally {
      await pool.close();
    }
    assert.equal(WorkerPool.liveWorkerCount(), 0);
  });

  it('runs as many jobs at once as it has workers and queues the rest in order', async () => {
    const pool = new WorkerPool({ modelPath: convModel(), session: SESSION, warmup: [] }, 2);
    await pool.start();
    try {
      const runs = [1, 2, 3].map((k) =>
        pool.run({ x: { data: floats([k, 0, 0, 0, 0, 0, 0, 0, 0]), type: 'float32', dims: [1, 1, 3, 3] } }));
      assert.equal(pool.busyCount, 2);
      assert.equal(pool.waitingCount, 1);
      const results = await Promise.all(runs);
      // Only the top-left output sees the first input value, weighted by the kernel's 1.
      assert.deepEqual(results.map((r) => floatsOf(r.outputs.y!.data)[0]), [1.5, 2.5, 3.5]);
    } finally {
      await pool.close();
    }
  });

  it('fails the running job when its worker crashes and replaces the worker', async () => {
    const pool = new WorkerPool({ modelPath: slowModel(512, 150), session: SESSION, warmup: [] }, 1);
    await pool.start();
    try {
      const x = { x: { data: Buffer.alloc(512 * 512 * 4), type: 'float32' as const, dims: [512, 512] } };
      const running = pool.run(x);
      await pool.killOneWorker();
      await assert.rejects(running, (e: PipelineError) => e.code === 'worker-crashed' && /crashed.*replaced/.test(e.message));
      const next = await pool.run(x);
      assert.deepEqual(next.outputs.y!.dims, [512, 512]);
      assert.equal(WorkerPool.liveWorkerCount(), 1);
    } finally {
      await pool.close();
    }
    assert.equal(WorkerPool.liveWorkerCount(), 0);
  });

  it('reports an onnxruntime run error as a failed job, not a crash', async () => {
    const pool = new WorkerPool({ modelPath: convModel(), session: SESSION, warmup: [] }, 1);
    await pool.start();
    try {
      await assert.rejects(pool.run({ x: { data: floats([1, 2]), type: 'float32', dims: [1, 2] } }),
        (e: PipelineError) => e.code === 'inference-failed' && /could not run the model/.test(e.message));
      const ok = await pool.run({ x: { data: floats([1, 2, 3, 4, 5, 6, 7, 8, 9]), type: 'float32', dims: [1, 1, 3, 3] } });
      assert.deepEqual(floatsOf(ok.outputs.y!.data), [37.5, 47.5, 67.5, 77.5]);
    } finally {
      await pool.close();
    }
  });
});

describe('model host', function () {
  this.timeout(30000);

  async function loadError(modelPath: string): Promise<PipelineError> {
    const states: ModelState[] = [];
    const host = new ModelHost({ modelPath, session: SESSION, workers: 1, warmup: true, onState: (s) => states.push(s) });
    host.register('user');
    const err = await host.ready().then(() => assert.fail('loaded'), (e: PipelineError) => e);
    assert.deepEqual(states, ['loading', 'error']);
    await host.close();
    assert.equal(WorkerPool.liveWorkerCount(), 0);
    return err;
  }

  it('loads, warms up and serves a model, shared by its users', async () => {
    const host = new ModelHost({ modelPath: convModel(), session: SESSION, workers: 2, warmup: true });
    host.register('a');
    host.register('b');
    const info = await host.ready();
    assert.equal(host.displayName, 'conv-demo 1.2');
    assert.equal(WorkerPool.liveWorkerCount(), 2);
    assert.equal(info.inputs[0]!.name, 'x');
    host.deregister('a');
    assert.equal(host.state, 'ready');
    host.deregister('b');
    assert.equal(host.state, 'idle');
    await host.close();
    assert.equal(WorkerPool.liveWorkerCount(), 0);
  });

  it('explains a missing file', async () => {
    const err = await loadError(path.join(modelDir, 'absent.onnx'));
    assert.equal(err.code, 'model-not-found');
    assert.match(err.message, /absent\.onnx does not exist; check the path/);
  });

  it('explains a file that is not ONNX', async () => {
    const err = await loadError(notOnnxFile());
    assert.equal(err.code, 'not-onnx');
    assert.match(err.message, /^the file is not an ONNX model \(protobuf decoding failed: .*\): \S+notes\.onnx; choose/);
    assert.doesNotMatch(err.details.reason as string, /not an ONNX model/);
  });

  it('names an unsupported operator and suggests another opset', async () => {
    const err = await loadError(unknownOperatorModel());
    assert.equal(err.code, 'unsupported-operator');
    assert.equal(err.details.operator, 'FancyWarp');
    assert.match(err.message, /cannot run operator FancyWarp \(opset 17\).*different opset/);
  });

  it('names missing external data', async () => {
    const err = await loadError(missingExternalDataModel());
    assert.equal(err.code, 'external-data-missing');
    assert.match(err.message, /weights\.bin.*missing; copy it next to external\.onnx/);
  });
});
