// FP32 vs int8 static side by side: latency with 1 and 2 threads (median of interleaved runs), size ratio,
// agreement with the float model and, for a model with labels, mIoU against the labels for both.
// Exported for the bench runner; nothing runs on import.
import fs from 'node:fs';
import path from 'node:path';
import { readModelInfo } from '../lib/onnx';
import { quantizeModel, type CalibrationMethod, type CalibrationSample, type QuantizationRecord } from '../lib/quantize';
import { imageToTensor, loadCalibrationFolder, resolvePreprocessing } from '../lib/quantize/calibration-images';
import { argmaxClasses, ConfusionMatrix } from '../lib/segmentation/metrics';
import { compareLatency, compareOutputs, type LatencyComparison, type OutputAgreement } from '../lib/quantize/evaluate';
import { renderTextImages } from './text-images';

export const PPOCR_DET_PATH = path.resolve(__dirname, '..', '..', 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_det_infer.onnx');

export interface LabeledSet {
  samples: CalibrationSample[];
  /** Class index per pixel at the output's resolution, one per sample. */
  labels: Uint8Array[];
}

export interface BenchModel {
  name: string;
  path: string;
  calibration: CalibrationSample[];
  evaluation: CalibrationSample[];
  /** Threshold for 1-channel maps (PP-OCR's DB maps: 0.3). */
  threshold?: number;
  labeled?: LabeledSet;
}

export interface QuantizationBenchOptions {
  /**
   * The demo model (e.g. models/vqi-demo.onnx). With modelImagesDir its images calibrate and evaluate it; without,
   * rendered synthetic power-line scenes do, and their masks give mIoU against labels.
   */
  modelPath?: string;
  modelImagesDir?: string;
  modelLabeled?: LabeledSet;
  /** PP-OCRv4 det is always included unless false. */
  ppocr?: boolean;
  /** PP-OCR input size (square). */
  size?: number;
  calibrationCount?: number;
  evaluationCount?: number;
  runs?: number;
  threads?: number[];
  method?: CalibrationMethod;
  log?: (line: string) => void;
}

export interface QuantizationBenchRow {
  name: string;
  floatBytes: number;
  int8Bytes: number;
  sizeRatio: number;
  latency: LatencyComparison[];
  agreement: OutputAgreement[];
  /** Operator counts of the int8 model after ORT's 'extended' optimisation (QLinearConv, …). */
  fusedOps: Record<string, number>;
  labelsMIoU?: { float: number; int8: number };
  record: QuantizationRecord;
}

const IMAGENET = { mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };

/** PP-OCRv4 det with rendered text pictures as calibration and evaluation inputs. */
export async function ppocrBenchModel(size: number, calibrationCount: number, evaluationCount: number): Promise<BenchModel> {
  const prep = resolvePreprocessing(undefined, { width: size, height: size, ...IMAGENET, scale: 1 / 255, layout: 'NCHW' });
  const images = await renderTextImages(calibrationCount + evaluationCount, size, size);
  const samples: CalibrationSample[] = [];
  for (const image of images) samples.push({ x: await imageToTensor(image, prep) });
  return { name: 'PP-OCRv4 det', path: PPOCR_DET_PATH, calibration: samples.slice(0, calibrationCount), evaluation: samples.slice(calibrationCount), threshold: 0.3 };
}

/**
 * The shipped power-line demo model with rendered synthetic scenes (lib/synthetic): pictures for calibration,
 * other pictures with their class masks for agreement and for mIoU against the labels.
 */
export async function syntheticSceneBenchModel(modelPath: string, calibrationCount: number, evaluationCount: number): Promise<BenchModel> {
  const { renderSample } = await import('../lib/synthetic');
  const info = readModelInfo(fs.readFileSync(modelPath));
  const prep = resolvePreprocessing(info);
  const render = async (first: number, count: number) => {
    const samples: CalibrationSample[] = [];
    const labels: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const sample = await renderSample(first + i, prep.width);
      samples.push({ [prep.name ?? info.inputs[0]!.name]: await imageToTensor(sample.image, prep) });
      labels.push(sample.classMap);
    }
    return { samples, labels };
  };
  const calibration = await render(1000, calibrationCount);
  const evaluation = await render(5000, evaluationCount);
  return { name: path.basename(modelPath), path: modelPath, calibration: calibration.samples, evaluation: evaluation.samples, labeled: evaluation };
}

async function labelsMIoU(modelBytes: Uint8Array, labeled: LabeledSet): Promise<number> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(modelBytes);
  let accumulator: ConfusionMatrix | undefined;
  try {
    for (let i = 0; i < labeled.samples.length; i++) {
      const feeds = Object.fromEntries(Object.entries(labeled.samples[i]!).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
      const out = (await session.run(feeds))[session.outputNames[0]!]!;
      const [, channels, h, w] = out.dims as number[];
      accumulator ??= new ConfusionMatrix(Math.max(channels!, 2));
      const data = out.data as Float32Array;
      const predicted = channels === 1 ? Uint16Array.from(data, (v) => (v > 0.5 ? 1 : 0)) : argmaxClasses(data, channels!, h! * w!, new Uint16Array(h! * w!));
      accumulator.add(labeled.labels[i]!, predicted);
    }
  } finally {
    await session.release();
  }
  return accumulator?.meanIoU() ?? 1;
}

export async function benchModel(model: BenchModel, options: QuantizationBenchOptions = {}): Promise<QuantizationBenchRow> {
  const log = options.log ?? (() => {});
  const original = fs.readFileSync(model.path);
  log(`${model.name}: quantizing with ${model.calibration.length} calibration inputs`);
  const { model: int8, record } = await quantizeModel(original, model.calibration, { mode: 'static', method: options.method ?? 'percentile' });
  log(`${model.name}: comparing outputs on ${model.evaluation.length} inputs`);
  const agreement = await compareOutputs(original, int8, model.evaluation, { threshold: model.threshold });
  const latency: LatencyComparison[] = [];
  for (const threads of options.threads ?? [1, 2]) {
    log(`${model.name}: latency with ${threads} thread(s)`);
    latency.push(await compareLatency(original, int8, model.evaluation[0]!, { threads, runs: options.runs ?? 10 }));
  }
  const row: QuantizationBenchRow = {
    name: model.name, floatBytes: original.length, int8Bytes: int8.length, sizeRatio: int8.length / original.length,
    latency, agreement, fusedOps: { ...record.runtimeIntegerOps, ...record.runtimeFloatOps }, record,
  };
  if (model.labeled) row.labelsMIoU = { float: await labelsMIoU(original, model.labeled), int8: await labelsMIoU(int8, model.labeled) };
  return row;
}

export async function benchQuantization(options: QuantizationBenchOptions = {}): Promise<QuantizationBenchRow[]> {
  const calibrationCount = options.calibrationCount ?? 16;
  const evaluationCount = options.evaluationCount ?? 8;
  const rows: QuantizationBenchRow[] = [];
  if (options.modelPath && !options.modelImagesDir) {
    rows.push(await benchModel(await syntheticSceneBenchModel(options.modelPath, calibrationCount, evaluationCount), options));
  } else if (options.modelPath && options.modelImagesDir) {
    const info = readModelInfo(fs.readFileSync(options.modelPath));
    const samples = await loadCalibrationFolder(options.modelImagesDir, info, resolvePreprocessing(info), calibrationCount + evaluationCount);
    const split = Math.max(1, Math.min(calibrationCount, samples.length - 1));
    rows.push(await benchModel({
      name: path.basename(options.modelPath), path: options.modelPath,
      calibration: samples.slice(0, split), evaluation: samples.slice(split).length > 0 ? samples.slice(split) : samples,
      labeled: options.modelLabeled,
    }, options));
  }
  if (options.ppocr !== false) rows.push(await benchModel(await ppocrBenchModel(options.size ?? 640, calibrationCount, evaluationCount), options));
  return rows;
}

export function formatQuantizationBench(rows: QuantizationBenchRow[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    const fused = Object.entries(row.fusedOps).filter(([op]) => op.startsWith('QLinear') || op === 'QGemm' || op === 'MatMulIntegerToFloat')
      .map(([op, n]) => `${op} ${n}`).join(', ');
    const floatOps = ['Conv', 'ConvTranspose', 'MatMul', 'Gemm'].filter((op) => row.fusedOps[op]).map((op) => `${op} ${row.fusedOps[op]}`).join(', ');
    lines.push(`${row.name}  (${row.record.method}, ${row.record.perChannel ? 'per-channel' : 'per-tensor'}, ${row.record.activationType} activations, ${row.record.reduceRange ? '7-bit' : '8-bit'} ${row.record.weightType} weights)`);
    lines.push(`  size        FP32 ${(row.floatBytes / 1048576).toFixed(2)} MiB   int8 ${(row.int8Bytes / 1048576).toFixed(2)} MiB   ratio ${row.sizeRatio.toFixed(3)}`);
    for (const l of row.latency) {
      lines.push(`  latency ${l.threads}T  FP32 ${l.floatMs.toFixed(1)} ms   int8 ${l.quantizedMs.toFixed(1)} ms   speed-up ${l.speedup.toFixed(2)}×  (median of ${l.runs} interleaved runs)`);
    }
    for (const a of row.agreement) {
      const iou = a.iou === undefined ? '' : `${a.kind === 'classMap' ? 'mIoU' : 'IoU'} ${a.iou.toFixed(4)}   `;
      lines.push(`  agreement   ${a.name}: ${iou}cosine ${a.cosine.toFixed(4)}   max abs diff ${a.maxAbsDiff.toPrecision(3)}`);
    }
    if (row.labelsMIoU) lines.push(`  vs labels   mIoU FP32 ${row.labelsMIoU.float.toFixed(4)}   int8 ${row.labelsMIoU.int8.toFixed(4)}`);
    lines.push(`  fused       ${fused || 'none'}${floatOps ? `   (still float: ${floatOps})` : ''}`);
  }
  return lines.join('\n');
}

export interface TuningBenchResult {
  row: QuantizationBenchRow;
  /** Wall-clock seconds of the whole tuned quantization (calibration, sensitivity, steps). */
  seconds: number;
}

/**
 * PP-OCRv4 det quantized with --target-agreement (IoU of DB maps at 0.3, judged on held-out calibration pictures),
 * then measured like the plain row on pictures neither calibration nor tuning saw.
 */
export async function benchAccuracyTuning(options: QuantizationBenchOptions & { target?: number } = {}): Promise<TuningBenchResult> {
  const log = options.log ?? (() => {});
  const model = await ppocrBenchModel(options.size ?? 640, options.calibrationCount ?? 16, options.evaluationCount ?? 8);
  const original = fs.readFileSync(model.path);
  const started = performance.now();
  log(`${model.name}: tuning for IoU ${options.target ?? 0.97}`);
  const { model: int8, record } = await quantizeModel(original, model.calibration, {
    mode: 'static', method: options.method ?? 'percentile', targetAgreement: options.target ?? 0.97, threshold: model.threshold,
    onProgress: (stage, done, total) => { if (done === total || done % 20 === 0) log(`  ${stage} ${done}/${total}`); },
  });
  const seconds = (performance.now() - started) / 1000;
  const agreement = await compareOutputs(original, int8, model.evaluation, { threshold: model.threshold });
  const latency: LatencyComparison[] = [];
  for (const threads of options.threads ?? [1, 2]) latency.push(await compareLatency(original, int8, model.evaluation[0]!, { threads, runs: options.runs ?? 10 }));
  return {
    seconds,
    row: {
      name: `${model.name}, tuned`, floatBytes: original.length, int8Bytes: int8.length, sizeRatio: int8.length / original.length,
      latency, agreement, fusedOps: { ...record.runtimeIntegerOps, ...record.runtimeFloatOps }, record,
    },
  };
}

export interface DynamicBenchRow {
  batch: number;
  latency: LatencyComparison;
  maxAbsDiff: number;
  sizeRatio: number;
}

/**
 * A tabular MLP in the shape of the APS air-pressure data set (171 features → 512 → 512 → 2), FP32 against dynamic
 * int8 (DynamicQuantizeMatMul), at batch 1 and a larger batch.
 */
export async function benchDynamic(options: { batches?: number[]; runs?: number; threads?: number } = {}): Promise<DynamicBenchRow[]> {
  const { buildModel, makeNode, makeTensor, makeValueInfo } = await import('../lib/onnx');
  let seed = 7;
  const random = (n: number, s: number) => Float32Array.from({ length: n }, () => (((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1) * s);
  const sizes = [171, 512, 512, 2];
  const nodes = [];
  const initializers = [];
  let input = 'x';
  for (let i = 0; i < sizes.length - 1; i++) {
    const out = i === sizes.length - 2 ? 'y' : `h${i}`;
    const pre = i === sizes.length - 2 ? out : `${out}_pre`;
    nodes.push(makeNode('Gemm', [input, `w${i}`, `b${i}`], [pre], { transB: 1 }, `fc${i}`));
    if (pre !== out) nodes.push(makeNode('Relu', [pre], [out], {}, `relu${i}`));
    initializers.push(makeTensor(`w${i}`, 'float32', [sizes[i + 1]!, sizes[i]!], random(sizes[i]! * sizes[i + 1]!, 1 / Math.sqrt(sizes[i]!))));
    initializers.push(makeTensor(`b${i}`, 'float32', [sizes[i + 1]!], random(sizes[i + 1]!, 0.1)));
    input = out;
  }
  const floatModel = buildModel({ nodes, initializers, inputs: [makeValueInfo('x', 'float32', ['batch', 171])], outputs: [makeValueInfo('y', 'float32', ['batch', 2])], opset: 13 });
  const { model: int8 } = await quantizeModel(floatModel, [], { mode: 'dynamic' });
  const rows: DynamicBenchRow[] = [];
  for (const batch of options.batches ?? [1, 256]) {
    const sample = { x: { data: random(batch * 171, 1), dims: [batch, 171] } };
    const latency = await compareLatency(floatModel, int8, sample, { threads: options.threads ?? 1, runs: options.runs ?? 50 });
    const [agreement] = await compareOutputs(floatModel, int8, [sample]);
    rows.push({ batch, latency, maxAbsDiff: agreement!.maxAbsDiff, sizeRatio: int8.length / floatModel.length });
  }
  return rows;
}
