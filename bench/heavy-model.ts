// Issue 16: worst event-loop lag with a heavy model, today's way (every output fetched, post-processing and model
// parsing on the main thread) against the new way (only the outputs read, post-processing on a worker thread,
// parsing on a worker thread), side by side in one runtime. The model is shaped like a salient-object export:
// 1024² input, 3 one-channel maps, 6 decoder feature maps (108 MB of outputs per message) and 88 MB of weights;
// every map is a 1×1 convolution, so inference itself is short and what remains is the pipeline around it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModelInfo, loadModelInfoOffThread } from '../lib/inference';
import { makeTensor, onnx } from '../lib/onnx';
import { salientModel, threeObjectPicture } from '../test/fixtures/heavy-models';
import { measureLoopLag } from './loop-lag';

 
const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));
const distNodes = path.resolve(__dirname, '..', 'nodes');
const nodeModules = ['mlops-tensor', 'mlops-model', 'mlops-infer', 'mlops-segment'].map((t) => require(path.join(distNodes, `${t}.js`)));

/** Per message: worst timer lag (wall clock) and worst main-thread CPU between two ticks (load-independent). */
export interface LagSeries { perMessageWorstMs: number[]; perMessageBusyMs: number[]; outputBytes: number }
export interface HeavyBenchResult {
  parse: { mainThreadMs: number[]; workerMs: number[]; mainThreadBusyMs: number[]; workerBusyMs: number[]; modelBytes: number };
  pipeline: { today: LagSeries; next: LagSeries };
}

/** The salient model plus 88 MB of fp32 weights (an initializer no node uses: it costs the parse, not the run). */
function heavyModelFile(dir: string): string {
  const base = salientModel({ size: 1024, features: 6, featureChannels: 4 });
  const model = onnx.ModelProto.decode(base.bytes);
  const weights = new Float32Array(22 * 1024 * 1024);
  for (let i = 0; i < weights.length; i += 4096) weights[i] = i % 7;
  model.graph!.initializer!.push(makeTensor('decoder_weights', 'float32', [weights.length], weights));
  const file = path.join(dir, 'heavy-salient-1024.onnx');
  fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
  return file;
}

async function parseLag(file: string, rounds: number): Promise<HeavyBenchResult['parse']> {
  const r: HeavyBenchResult['parse'] = { mainThreadMs: [], workerMs: [], mainThreadBusyMs: [], workerBusyMs: [], modelBytes: fs.statSync(file).size };
  for (let i = 0; i < rounds; i++) {
    const main = await measureLoopLag(async () => loadModelInfo(file), 5);
    const worker = await measureLoopLag(() => loadModelInfoOffThread(file), 5);
    r.mainThreadMs.push(main.worstLagMs);
    r.workerMs.push(worker.worstLagMs);
    r.mainThreadBusyMs.push(main.worstBusyMs ?? NaN);
    r.workerBusyMs.push(worker.worstBusyMs ?? NaN);
  }
  return r;
}

function outputBytes(msg: { outputs?: Record<string, { data: Buffer }> }): number {
  return Object.values(msg.outputs ?? {}).reduce((sum, o) => sum + o.data.byteLength, 0);
}

export async function benchHeavyModel(messages = 8): Promise<HeavyBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-heavy-bench-'));
  try {
    const file = heavyModelFile(dir);
    const parse = await parseLag(file, 3);
    const at = { z: 'tab', x: 0, y: 0 };
    const branch = (side: string, infer: object, segment: object) => [
      { ...at, id: `tensor-${side}`, type: 'mlops-tensor', model: 'model', wires: [[`infer-${side}`]] },
      { ...at, id: `infer-${side}`, type: 'mlops-infer', model: 'model', queueSize: 2, queuePolicy: 'queue', wires: [[`seg-${side}`]], ...infer },
      { ...at, id: `seg-${side}`, type: 'mlops-segment', overlay: true, overlayFormat: 'jpeg', opacity: 0.5, legend: true, labels: 'object',
        minArea: 100, maxComponents: 100, wires: [[`out-${side}`]], ...segment },
      { ...at, id: `out-${side}`, type: 'helper' },
    ];
    await helper.load(nodeModules, [
      { id: 'tab', type: 'tab', label: 'heavy' },
      { id: 'model', type: 'mlops-model', path: file, workers: 1, intraOpThreads: 1, warmup: true },
      ...branch('today', { fetch: 'all' }, { thread: 'main' }),
      ...branch('next', { fetch: 'auto' }, { thread: 'worker' }),
    ]);
    await helper.getNode('model').ready();
    const picture = threeObjectPicture(1280, 960, { x: 200, y: 160, width: 320, height: 320 },
      { x: 700, y: 500, width: 300, height: 300 }, { x: 1060, y: 100, width: 200, height: 200 });
    const send = (side: string) => new Promise<number>((resolve) => {
      helper.getNode(`out-${side}`).once('input', (msg: { outputs?: Record<string, { data: Buffer }> }) => resolve(outputBytes(msg)));
      helper.getNode(`tensor-${side}`).receive({ image: picture });
    });
    const empty = (): LagSeries => ({ perMessageWorstMs: [], perMessageBusyMs: [], outputBytes: 0 });
    const series = { today: empty(), next: empty() };
    // One warm-up message per side (first sharp resize, first worker), then alternate which side goes first.
    await send('today');
    await send('next');
    for (let i = 0; i < messages; i++) {
      for (const side of (i % 2 === 0 ? ['today', 'next'] : ['next', 'today']) as ('today' | 'next')[]) {
        const lag = await measureLoopLag(() => send(side), 5);
        series[side].perMessageWorstMs.push(lag.worstLagMs);
        series[side].perMessageBusyMs.push(lag.worstBusyMs ?? NaN);
        series[side].outputBytes = lag.result;
        // The test helper's spies keep every message (100 MB each here): forget them.
        helper._sandbox.resetHistory();
      }
    }
    await helper.unload();
    return { parse, pipeline: series };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchHeavyModel().then((r) => console.log(JSON.stringify(r, null, 2)), (err) => { console.error(err); process.exitCode = 1; });
}
