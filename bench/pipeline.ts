// The ingest → tensor → infer → segment flow in a real Node-RED runtime versus a bare script doing the same
// sharp + onnxruntime-node work, one image at a time (latency) and flat out on both cores (throughput).
// The bare script decodes with sharp, resizes from the raw pixels (the overlay needs them, as in the flow),
// normalises in a loop, runs the session on its own thread and post-processes with lib/segmentation, the same
// algorithm the segment node runs, so the ratio is what Node-RED, the nodes and the worker hand-off cost.
import { fork } from 'node:child_process';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { bufferOf } from '../lib/contract';
import { segment, type SegmentOptions } from '../lib/segmentation';

export const PPOCR_DET = path.resolve(__dirname, '..', '..', 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_det_infer.onnx');

export interface PipelineSpec {
  modelPath: string;
  width: number;
  height: number;
  colorOrder: 'RGB' | 'BGR';
  mean: number[];
  std: number[];
  scale: number;
  singleChannel: 'sigmoid' | 'probability';
  threshold: number;
  labels: string[];
}

export const PPOCR_SPEC: PipelineSpec = {
  modelPath: PPOCR_DET, width: 960, height: 544, colorOrder: 'BGR',
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 1 / 255,
  singleChannel: 'probability', threshold: 0.3, labels: ['text'],
};

/** Camera-sized JPEGs with a few lines of text, different per seed. */
export async function textJpegs(count: number, width = 1280, height = 720): Promise<Buffer[]> {
  const words = ['tower', 'inspection', 'line', 'rust', 'insulator', 'edge', 'device', 'MQTT', 'sector', 'span'];
  const images: Buffer[] = [];
  for (let seed = 0; seed < count; seed++) {
    const lines = Array.from({ length: 4 }, (_, i) =>
      `<text x="${60 + ((seed * 37 + i * 53) % 200)}" y="${120 + i * 150}" font-family="DejaVu Sans" font-size="${44 + (seed % 3) * 6}" fill="#202020">` +
      `${words[(seed + i) % words.length]} ${seed * 7 + i} ${words[(seed * 3 + i) % words.length]}</text>`).join('');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#eae6da"/>${lines}</svg>`;
    images.push(await sharp(Buffer.from(svg)).jpeg({ quality: 88 }).toBuffer());
  }
  return images;
}

function segmentOptions(spec: PipelineSpec): SegmentOptions {
  return {
    singleChannel: spec.singleChannel, threshold: spec.threshold, minArea: 100, maxCount: 100, includeBackground: false,
    labels: spec.labels, colors: [], overlay: { opacity: 0.5, includeBackground: false, legend: true, format: 'jpeg' },
  };
}

/** The bare script: one image through sharp, a normalisation loop, session.run and the segmentation. */
export async function bareInspect(session: ort.InferenceSession, spec: PipelineSpec, jpeg: Buffer): Promise<number> {
  const { data: pixels, info } = await sharp(jpeg).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const resized = await sharp(pixels, { raw: { width: info.width, height: info.height, channels: 3 } })
    .resize(spec.width, spec.height, { fit: 'fill' }).raw().toBuffer();
  const plane = spec.width * spec.height;
  const input = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const source = spec.colorOrder === 'BGR' ? 2 - c : c;
    const mean = spec.mean[c]!, std = spec.std[c]!;
    for (let i = 0; i < plane; i++) input[c * plane + i] = (resized[i * 3 + source]! * spec.scale - mean) / std;
  }
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, spec.height, spec.width]) };
  const results = await session.run(feeds);
  const output = results[session.outputNames[0]!]!;
  const { result } = await segment({
    outputs: { out: { data: bufferOf(output.data as Float32Array), type: 'float32', dims: [...output.dims] } },
    geometry: {
      sourceWidth: info.width, sourceHeight: info.height, width: spec.width, height: spec.height,
      scaleX: spec.width / info.width, scaleY: spec.height / info.height, padLeft: 0, padTop: 0, resize: 'fill',
    },
    image: { data: pixels, width: info.width, height: info.height, channels: 3, format: 'jpeg', encoded: jpeg, source: 'buffer', orientation: 1, decoder: 'sharp' },
  }, segmentOptions(spec));
  return result.components.length;
}

export function bareSession(spec: PipelineSpec, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(spec.modelPath, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

/** Images per second of `processes` bare scripts running side by side, each with `threads` inference threads. */
export async function bareThroughput(spec: PipelineSpec, images: number, processes: number, threads: number): Promise<number> {
  const perProcess = Math.ceil(images / processes);
  const children = Array.from({ length: processes }, () =>
    fork(__filename, ['--bare-worker', JSON.stringify({ spec, images: perProcess, threads })]));
  const message = (child: ReturnType<typeof fork>, expected: string) => new Promise<void>((resolve, reject) => {
    child.once('message', (m) => (m === expected ? resolve() : reject(new Error(`bare worker said ${String(m)}`))));
    child.once('exit', (code) => reject(new Error(`bare worker exited ${code}`)));
  });
  // The clock starts when every process has loaded its model and images, as the flow's does.
  await Promise.all(children.map((child) => message(child, 'ready')));
  const started = performance.now();
  const finished = children.map((child) => message(child, 'done'));
  children.forEach((child) => child.send('go'));
  await Promise.all(finished);
  const seconds = (performance.now() - started) / 1000;
  children.forEach((child) => child.kill());
  return (perProcess * processes) / seconds;
}

async function bareWorker(args: { spec: PipelineSpec; images: number; threads: number }): Promise<void> {
  const jpegs = await textJpegs(Math.min(args.images, 8));
  const session = await bareSession(args.spec, args.threads);
  await bareInspect(session, args.spec, jpegs[0]!);
  process.send!('ready');
  await new Promise((resolve) => process.once('message', resolve));
  for (let i = 0; i < args.images; i++) await bareInspect(session, args.spec, jpegs[i % jpegs.length]!);
  process.send!('done');
  await new Promise(() => undefined);
}

if (process.argv[2] === '--bare-worker') {
  bareWorker(JSON.parse(process.argv[3]!)).catch((err) => { console.error(err); process.exit(1); });
}
