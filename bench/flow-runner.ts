// The same pipeline as bench/pipeline.ts, as a Node-RED flow on a real runtime (node-red-node-test-helper).
import path from 'node:path';
import type { PipelineSpec } from './pipeline';

 
const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));
const distNodes = path.resolve(__dirname, '..', 'nodes');
const nodeModules = ['mlops-image', 'mlops-tensor', 'mlops-model', 'mlops-infer', 'mlops-segment'].map((t) => require(path.join(distNodes, `${t}.js`)));

export interface FlowRunner {
  inspect(jpeg: Buffer): Promise<void>;
  /** Sends all images at once and resolves when every result is out. */
  burst(jpegs: Buffer[]): Promise<void>;
  close(): Promise<void>;
}

/** Editor previews of mlops-image and mlops-segment: on by default, as a user's flow has them. */
export async function startFlow(spec: PipelineSpec, workers: number, threads: number, queueSize: number, showPreview = true): Promise<FlowRunner> {
  const at = { z: 'tab', x: 0, y: 0 };
  await helper.load(nodeModules, [
    { id: 'tab', type: 'tab', label: 'bench' },
    { id: 'model', type: 'mlops-model', path: spec.modelPath, workers, intraOpThreads: threads, optimization: 'all', warmup: true },
    { ...at, id: 'image', type: 'mlops-image', showPreview, wires: [['tensor']] },
    { ...at, id: 'tensor', type: 'mlops-tensor', width: String(spec.width), height: String(spec.height), resize: 'fill',
      colorOrder: spec.colorOrder, layout: 'NCHW', dataType: 'float32', scale: String(spec.scale),
      mean: spec.mean.join(','), std: spec.std.join(','), wires: [['infer']] },
    { ...at, id: 'infer', type: 'mlops-infer', model: 'model', queueSize, queuePolicy: 'queue', wires: [['segment']] },
    { ...at, id: 'segment', type: 'mlops-segment', singleChannel: spec.singleChannel, threshold: spec.threshold,
      labels: spec.labels.join(','), minArea: 100, maxComponents: 100, overlay: true, overlayFormat: 'jpeg', opacity: 0.5, legend: true, showPreview, wires: [['out']] },
    { ...at, id: 'out', type: 'helper' },
  ]);
  await helper.getNode('model').ready();
  const image = helper.getNode('image');
  const out = helper.getNode('out');
  const results = (count: number) => new Promise<void>((resolve, reject) => {
    let seen = 0;
    const onInput = (msg: { segmentation?: unknown }) => {
      if (!msg.segmentation) reject(new Error('flow output without msg.segmentation'));
      if (++seen === count) { out.removeListener('input', onInput); resolve(); }
    };
    out.on('input', onInput);
  });
  const runner: FlowRunner = {
    async inspect(jpeg) {
      const done = results(1);
      image.receive({ payload: jpeg });
      await done;
    },
    async burst(jpegs) {
      const done = results(jpegs.length);
      for (const jpeg of jpegs) image.receive({ payload: jpeg });
      await done;
    },
    close: () => helper.unload(),
  };
  return runner;
}
