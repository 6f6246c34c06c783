// Worst event-loop stall during one long inference: on a worker thread (the mlops-infer way) versus
// session.run() on the main thread. Import and await benchEventLoop(); `node dist/bench/event-loop.js [size] [repeats]`
// runs it standalone.
import * as ort from 'onnxruntime-node';
import { WorkerPool } from '../lib/inference';
import { slowModel } from '../test/fixtures/inference-models';
import { measureLoopLag } from './loop-lag';

export interface EventLoopBenchOptions {
  /** The model multiplies a size×size matrix `repeats` times. */
  size?: number;
  repeats?: number;
  /** Timer interval used to sample the loop, ms. */
  intervalMs?: number;
}

export interface StallMeasurement {
  inferenceMs: number;
  worstLagMs: number;
  ticks: number;
}

export interface EventLoopBenchResult {
  size: number;
  repeats: number;
  workerThread: StallMeasurement;
  mainThread: StallMeasurement;
}

export async function benchEventLoop(options: EventLoopBenchOptions = {}): Promise<EventLoopBenchResult> {
  const { size = 1024, repeats = 60, intervalMs = 10 } = options;
  const modelPath = slowModel(size, repeats, `bench-${size}-${repeats}.onnx`);
  const data = Buffer.alloc(size * size * 4);
  const dims = [size, size];

  const pool = new WorkerPool({
    modelPath, session: { intraOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' }, warmup: [],
  }, 1);
  await pool.start();
  let workerThread: StallMeasurement;
  try {
    const lag = await measureLoopLag(() => pool.run({ x: { data, type: 'float32', dims } }), intervalMs);
    workerThread = { inferenceMs: lag.result.runMs, worstLagMs: lag.worstLagMs, ticks: lag.ticks };
  } finally {
    await pool.close();
  }

  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
  try {
    const input = new ort.Tensor('float32', new Float32Array(data.buffer, data.byteOffset, size * size), dims);
    const lag = await measureLoopLag(async () => {
      const started = performance.now();
      await session.run({ x: input });
      return performance.now() - started;
    }, intervalMs);
    return { size, repeats, workerThread, mainThread: { inferenceMs: lag.result, worstLagMs: lag.worstLagMs, ticks: lag.ticks } };
  } finally {
    await session.release();
  }
}

if (require.main === module) {
  const [size, repeats] = process.argv.slice(2).map(Number);
  benchEventLoop({ size: size || undefined, repeats: repeats || undefined }).then((result) => {
    const line = (label: string, m: StallMeasurement) =>
      `${label.padEnd(14)} inference ${m.inferenceMs.toFixed(0).padStart(6)} ms   worst timer lag ${m.worstLagMs.toFixed(1).padStart(7)} ms   ticks ${m.ticks}`;
    console.log(`MatMul ${result.size}×${result.size} × ${result.repeats}`);
    console.log(line('worker thread', result.workerThread));
    console.log(line('main thread', result.mainThread));
  }, (err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
