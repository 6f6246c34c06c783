// One quantization run from file to file, with the comparison a user wants to see afterwards.
// Shared by the CLI, the mlops-quantize node (through a worker thread) and the benchmark.
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors';
import { formatBytes } from '../util/format';
import { readModelInfo, type ModelInfo } from '../onnx';
import type { PreprocessOptions } from '../tensor';
import { listImages, loadCalibrationFolder, resolvePreprocessing, type ImagePreprocessing } from './calibration-images';
import type { CalibrationEstimate, CalibrationSample } from './calibrate';
import { compareLatency, compareOutputs, type LatencyComparison, type OutputAgreement } from './evaluate';
import type { CalibrationSampleRef } from './saturation-check';
import type { TuningResult } from './tuning';
import { quantizeModel, type QuantizationRecord, type QuantizeOptions } from './index';

export interface QuantizeJob {
  inputPath: string;
  outputPath: string;
  options: Omit<QuantizeOptions, 'onProgress' | 'onEstimate'>;
  /** Calibration inputs ready to feed, or a folder of images to pre-process. */
  samples?: CalibrationSample[];
  calibrationDir?: string;
  /** Most images read from calibrationDir. */
  limit?: number;
  preprocessing?: Partial<ImagePreprocessing>;
  /** Latency and agreement after quantizing; false skips both. */
  compare?: { runs: number; threads: number; threshold?: number } | false;
}

/** How calibration images were normalised, and where each setting came from. */
export interface CalibrationNormalisation {
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
  from: Record<'scale' | 'mean' | 'std', 'option' | 'metadata' | 'default'>;
  /** Settings neither the options nor the model's metadata gave: the calibration assumed the defaults. */
  defaulted: ('scale' | 'mean' | 'std')[];
}

export interface QuantizeSummary {
  inputPath: string;
  outputPath: string;
  sizeBefore: number;
  sizeAfter: number;
  sizeRatio: number;
  record: QuantizationRecord;
  latency?: LatencyComparison;
  agreement?: OutputAgreement[];
  /** For calibration images read from a folder. */
  normalisation?: CalibrationNormalisation;
}

export type JobProgress = (stage: 'load' | 'calibrate' | 'sensitivity' | 'tune' | 'write' | 'compare', done: number, total: number) => void;

function readModelFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new PipelineError('model-unreadable', `cannot read the model "${file}": ${(err as Error).message}; check the path`, { path: file });
  }
}

/** Random normal-ish inputs for models without image calibration (dynamic mode comparisons). */
function syntheticSamples(info: ModelInfo, count: number): CalibrationSample[] {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  return Array.from({ length: count }, () => Object.fromEntries(info.inputs.map((input) => {
    const dims = input.dims.map((d) => (typeof d === 'number' ? d : 1));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = next();
    return [input.name, { data, dims }];
  })));
}

export function describeNormalisation(used: PreprocessOptions, info: ModelInfo, explicit: Partial<ImagePreprocessing>): CalibrationNormalisation {
  const keys = ['scale', 'mean', 'std'] as const;
  const from = Object.fromEntries(keys.map((k) => [k, explicit[k] !== undefined ? 'option' : info.metadata[k] !== undefined ? 'metadata' : 'default'])) as CalibrationNormalisation['from'];
  return { scale: used.scale, mean: used.mean, std: used.std, from, defaulted: keys.filter((k) => from[k] === 'default') };
}

/** One line saying which normalisation calibrated the model, loudly when it was a guess. */
export function normalisationText(n: CalibrationNormalisation): string {
  const scale = Math.abs(n.scale - 1 / 255) < 1e-12 ? '1/255' : String(n.scale);
  const values = `scale ${scale}, mean [${n.mean.join(', ')}], std [${n.std.join(', ')}]`;
  const origin = { option: 'given', metadata: "from the model's metadata" } as const;
  if (n.defaulted.length === 0) {
    const parts = (['option', 'metadata'] as const).map((o) => [(['scale', 'mean', 'std'] as const).filter((k) => n.from[k] === o), o] as const)
      .filter(([keys]) => keys.length > 0).map(([keys, o]) => `${keys.join(', ')} ${origin[o]}`);
    return `${values} (${parts.join('; ')})`;
  }
  return `${values}: ${n.defaulted.join(', ')} not in the model's metadata nor given, defaults used; calibration depends on them: give --mean/--std/--scale (node: metadata or mlops-tensor tensors) if the model was trained otherwise`;
}

export async function runQuantizeJob(job: QuantizeJob, onProgress: JobProgress = () => {}, onEstimate?: (estimate: CalibrationEstimate) => void): Promise<QuantizeSummary> {
  const original = readModelFile(job.inputPath);
  const info = readModelInfo(original);
  onProgress('load', 0, 1);
  let samples = job.samples ?? [];
  let normalisation: CalibrationNormalisation | undefined;
  let calibrationSample: CalibrationSampleRef | undefined;
  if (samples.length === 0 && job.calibrationDir) {
    const preprocessing = resolvePreprocessing(info, job.preprocessing);
    normalisation = describeNormalisation(preprocessing, info, job.preprocessing ?? {});
    samples = await loadCalibrationFolder(job.calibrationDir, info, preprocessing, job.limit ?? 100);
    // The first picture is named in the record: a device whose int8 kernels saturate measures on it (saturation-check.ts).
    calibrationSample = { files: listImages(job.calibrationDir).slice(0, 1).map((f) => path.resolve(f)), preprocessing: job.preprocessing ?? {} };
  }
  if (job.options.mode === 'static' && samples.length === 0) {
    throw new PipelineError('no-calibration', 'static quantization needs calibration images: give a folder of 10–100 representative images, or use dynamic mode');
  }
  onProgress('load', 1, 1);
  const result = await quantizeModel(original, samples, {
    ...job.options,
    ...(calibrationSample ? { calibrationSample } : {}),
    onProgress: (stage, done, total) => onProgress(stage, done, total),
    ...(onEstimate ? { onEstimate } : {}),
  });
  onProgress('write', 0, 1);
  try {
    fs.mkdirSync(path.dirname(job.outputPath), { recursive: true });
    fs.writeFileSync(job.outputPath, result.model);
  } catch (err) {
    throw new PipelineError('output-unwritable', `cannot write the quantized model to "${job.outputPath}": ${(err as Error).message}; choose a writable path`, { path: job.outputPath });
  }
  onProgress('write', 1, 1);
  const summary: QuantizeSummary = {
    inputPath: job.inputPath,
    outputPath: job.outputPath,
    sizeBefore: original.length,
    sizeAfter: result.model.length,
    sizeRatio: result.model.length / original.length,
    record: result.record,
    ...(normalisation ? { normalisation } : {}),
  };
  if (job.compare === false) return summary;
  const compare = job.compare ?? { runs: 10, threads: 1 };
  const compareSamples = samples.length > 0 ? samples : syntheticSamples(info, 4);
  onProgress('compare', 0, 2);
  summary.agreement = await compareOutputs(original, result.model, compareSamples, { threshold: compare.threshold ?? job.options.threshold, outputs: job.options.outputs });
  onProgress('compare', 1, 2);
  summary.latency = await compareLatency(original, result.model, compareSamples[0]!, { runs: compare.runs, threads: compare.threads });
  onProgress('compare', 2, 2);
  return summary;
}


function describeAgreement(a: OutputAgreement): string {
  const iou = a.kind === 'classMap' ? `mIoU ${a.iou!.toFixed(4)} (argmax class maps), `
    : a.kind === 'binaryMap' ? `IoU ${a.iou!.toFixed(4)} (thresholded map), ` : '';
  const kind = a.kind === 'featureMap' ? ' (feature map)' : '';
  return `${a.name}: ${iou}max abs diff ${a.maxAbsDiff.toPrecision(3)}, cosine ${a.cosine.toFixed(4)}${kind}`;
}

/** The calibration's cost, printed before the bulk of it runs. */
export function describeEstimate(e: CalibrationEstimate): string {
  const minutes = e.secondsLeft >= 90 ? `${(e.secondsLeft / 60).toFixed(1)} min` : `${Math.round(e.secondsLeft)} s`;
  return `calibration: ${e.tensors} tensors, ${formatBytes(e.activationBytes)} of activations per input, ${e.inferencesPerInput} inference(s) per input within ${formatBytes(e.budgetBytes)} (--max-memory); about ${minutes} for the other ${e.inputs - 1} input(s), peak about ${formatBytes(e.peakBytes)} besides ONNX Runtime's work memory`;
}

/** The trade-off accuracy tuning found, one line per step. */
export function describeTuning(t: TuningResult): string[] {
  const lines = [`  accuracy tuning: target ${t.metric} ${t.target} on ${t.heldOut > 0 ? `${t.heldOut} held-out calibration input(s)` : 'the calibration inputs (too few to hold any out)'}, ${t.measured} nodes measured: ${t.met ? 'met' : 'NOT met'} with ${t.floatNodes.length} node(s) in float (${t.metric} ${t.achieved.toFixed(4)})`];
  for (const step of t.steps) {
    const last = step.floatNodes[step.floatNodes.length - 1];
    lines.push(`    ${step.floatNodes.length === 0 ? 'all quantized' : `+ ${last} in float`}: ${t.metric} ${step.agreement.toFixed(4)}, speed-up ${step.speedup.toFixed(2)}× (1 thread)`);
  }
  return lines;
}

function counts(ops: Record<string, number>): string {
  return Object.entries(ops).map(([op, n]) => `${op} ${n}`).join(', ');
}

/** Human-readable lines for a terminal or a log. */
export function formatSummary(summary: QuantizeSummary): string[] {
  const r = summary.record;
  const how = r.mode === 'static'
    ? `static (QDQ, ${r.method}, ${r.perChannel ? 'per-channel' : 'per-tensor'} weights, ${r.activationType} activations, ${r.calibrationSamples} calibration inputs)`
    : `dynamic (${r.format.replace('+', ' + ')}, ${r.perChannel ? 'per-channel' : 'per-tensor'} weights)`;
  const lines = [
    `quantized model written to ${summary.outputPath}`,
    `  mode: ${how}`,
    `  quantized ops: ${counts(r.quantizedOps)}`,
    ...(r.correctedBiases !== undefined ? [`  bias correction: ${r.correctedBiases} Conv bias(es) absorbed the mean shift of their rounded weights`] : []),
    `  ONNX Runtime integer kernels: ${counts(r.runtimeIntegerOps) || 'none'}${Object.keys(r.runtimeFloatOps).length ? `; still float: ${counts(r.runtimeFloatOps)}` : ''}`,
    ...(summary.normalisation ? [`  normalisation: ${normalisationText(summary.normalisation)}`] : []),
    ...(r.source.precision === 'float16' ? [`  source: float16, converted to float32 first (${r.source.float16?.initializers ?? 0} weights, ${r.source.float16?.casts ?? 0} casts${r.source.float16?.ioChanged ? '; inputs and outputs are float32 now' : ''})`] : []),
    `  version: ${r.version}, weights ${r.weightBits}-bit${r.needsVnniOnX86 ? ' (for CPUs with VNNI or ARM: x86 without VNNI saturates; use --weight-bits 7 for those)' : ''}`,
    ...(r.calibration ? [`  ${describeEstimate(r.calibration)}`] : []),
    `  size: ${formatBytes(summary.sizeBefore)} → ${formatBytes(summary.sizeAfter)} (${summary.sizeRatio.toFixed(3)}×)`,
  ];
  if (summary.latency) {
    const l = summary.latency;
    lines.push(`  latency (${l.threads} thread${l.threads > 1 ? 's' : ''}, median of ${l.runs} interleaved runs): ${l.floatMs.toFixed(1)} ms → ${l.quantizedMs.toFixed(1)} ms (${l.speedup >= 1 ? `${l.speedup.toFixed(2)}× faster` : `${(1 / l.speedup).toFixed(2)}× slower`})`);
  }
  if (r.accuracyTuning) lines.push(...describeTuning(r.accuracyTuning));
  for (const a of summary.agreement ?? []) lines.push(`  agreement ${describeAgreement(a)}`);
  return lines;
}
