// How a quantized model compares with its float original: latency (interleaved runs) and output agreement.
import type * as OrtTypes from 'onnxruntime-node';
import { floatToHalf, halfToFloat } from '../onnx';
import type { CalibrationSample } from './calibrate';

export interface LatencyComparison {
  threads: number;
  runs: number;
  /** Median milliseconds per inference. */
  floatMs: number;
  quantizedMs: number;
  /** floatMs / quantizedMs. */
  speedup: number;
}

export interface OutputAgreement {
  name: string;
  /** classMap: argmax over channels compared by mIoU; binaryMap: 1-channel map thresholded, compared by IoU. */
  kind: 'classMap' | 'binaryMap' | 'values';
  /** Mean IoU over classes present in either map (classMap) or IoU of the foreground (binaryMap). */
  iou?: number;
  maxAbsDiff: number;
  cosine: number;
}

type Ort = typeof OrtTypes;

async function loadOrt(): Promise<Ort> {
  return import('onnxruntime-node');
}

/** Float32 samples as feeds; inputs the session declares float16 (fp16 models without keep_io_types) are converted. */
export function feeds(ort: Ort, sample: CalibrationSample, session?: OrtTypes.InferenceSession): Record<string, OrtTypes.Tensor> {
  const half = new Set((session?.inputMetadata ?? []).filter((m) => m.isTensor && m.type === 'float16').map((m) => m.name));
  return Object.fromEntries(Object.entries(sample).map(([k, v]) => [k, half.has(k)
    ? new ort.Tensor('float16', Uint16Array.from(v.data, floatToHalf), v.dims)
    : new ort.Tensor('float32', v.data, v.dims)]));
}

/** Float values of a float32 or float16 output, else undefined. */
export function floatData(tensor: OrtTypes.Tensor): Float32Array | undefined {
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return Float32Array.from(tensor.data as Uint16Array, halfToFloat);
  return undefined;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median latency of both models, runs interleaved so that load changes on the machine hit both alike. */
export async function compareLatency(
  floatModel: Uint8Array,
  quantizedModel: Uint8Array,
  sample: CalibrationSample,
  options: { threads: number; runs: number },
): Promise<LatencyComparison> {
  const ort = await loadOrt();
  const sessionOptions: OrtTypes.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  const sessions = [
    await ort.InferenceSession.create(floatModel, sessionOptions),
    await ort.InferenceSession.create(quantizedModel, sessionOptions),
  ];
  const inputs = sessions.map((s) => feeds(ort, sample, s));
  const times: number[][] = [[], []];
  try {
    for (const [i, s] of sessions.entries()) await s.run(inputs[i]!); // warm-up
    for (let i = 0; i < options.runs; i++) {
      const order = i % 2 === 0 ? [0, 1] : [1, 0];
      for (const which of order) {
        const start = process.hrtime.bigint();
        await sessions[which]!.run(inputs[which]!);
        times[which]!.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
  } finally {
    for (const s of sessions) await s.release();
  }
  const floatMs = median(times[0]!);
  const quantizedMs = median(times[1]!);
  return { threads: options.threads, runs: options.runs, floatMs, quantizedMs, speedup: floatMs / quantizedMs };
}

/** Intersection over union of two binary masks; 1 when both are empty. */
export function maskIoU(a: ArrayLike<boolean | number>, b: ArrayLike<boolean | number>): number {
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = !!a[i];
    const y = !!b[i];
    if (x && y) intersection++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : intersection / union;
}

/** Per-class intersection and union counts, accumulated over several maps. */
export class IoUAccumulator {
  private readonly intersections: Float64Array;
  private readonly unions: Float64Array;
  constructor(readonly classes: number) {
    this.intersections = new Float64Array(classes);
    this.unions = new Float64Array(classes);
  }
  add(predicted: ArrayLike<number>, truth: ArrayLike<number>): void {
    for (let i = 0; i < predicted.length; i++) {
      const p = predicted[i]!;
      const t = truth[i]!;
      if (p === t) {
        this.intersections[p]!++;
        this.unions[p]!++;
      } else {
        this.unions[p]!++;
        this.unions[t]!++;
      }
    }
  }
  /** Mean IoU over the classes that occur in either map. */
  meanIoU(): number {
    let sum = 0;
    let count = 0;
    for (let c = 0; c < this.classes; c++) {
      if (this.unions[c]! === 0) continue;
      sum += this.intersections[c]! / this.unions[c]!;
      count++;
    }
    return count === 0 ? 1 : sum / count;
  }
}

/** Argmax over channels of an NCHW tensor (batch 1): class index per pixel. */
export function argmaxClassMap(data: Float32Array, channels: number, pixels: number): Uint16Array {
  const out = new Uint16Array(pixels);
  for (let p = 0; p < pixels; p++) {
    let best = 0;
    let bestValue = data[p]!;
    for (let c = 1; c < channels; c++) {
      const v = data[c * pixels + p]!;
      if (v > bestValue) { bestValue = v; best = c; }
    }
    out[p] = best;
  }
  return out;
}

function outputKind(dims: readonly number[]): OutputAgreement['kind'] {
  if (dims.length === 4 && dims[2]! > 1 && dims[3]! > 1) return dims[1] === 1 ? 'binaryMap' : 'classMap';
  if (dims.length === 3 && dims[1]! > 1 && dims[2]! > 1) return 'binaryMap';
  return 'values';
}

/**
 * Runs both models over the samples and compares every float output. `threshold` binarises 1-channel maps
 * (probabilities: 0.5; PP-OCR's DB maps use 0.3).
 */
export async function compareOutputs(
  floatModel: Uint8Array,
  quantizedModel: Uint8Array,
  samples: CalibrationSample[],
  options: { threshold?: number } = {},
): Promise<OutputAgreement[]> {
  const ort = await loadOrt();
  const threshold = options.threshold ?? 0.5;
  const floatSession = await ort.InferenceSession.create(floatModel);
  const quantSession = await ort.InferenceSession.create(quantizedModel);
  const stats = new Map<string, { kind: OutputAgreement['kind']; maxAbs: number; dot: number; na: number; nb: number; inter: number; union: number; acc?: IoUAccumulator }>();
  try {
    for (const sample of samples) {
      const a = await floatSession.run(feeds(ort, sample, floatSession));
      const b = await quantSession.run(feeds(ort, sample, quantSession));
      for (const name of floatSession.outputNames) {
        const ta = a[name]!;
        const da = floatData(ta);
        const db = b[name] ? floatData(b[name]) : undefined;
        if (!da || !db) continue;
        const dims = ta.dims;
        let s = stats.get(name);
        if (!s) {
          const kind = outputKind(dims);
          s = { kind, maxAbs: 0, dot: 0, na: 0, nb: 0, inter: 0, union: 0, ...(kind === 'classMap' ? { acc: new IoUAccumulator(dims[1]!) } : {}) };
          stats.set(name, s);
        }
        for (let i = 0; i < da.length; i++) {
          const x = da[i]!;
          const y = db[i]!;
          s.maxAbs = Math.max(s.maxAbs, Math.abs(x - y));
          s.dot += x * y;
          s.na += x * x;
          s.nb += y * y;
          if (s.kind === 'binaryMap') {
            const px = x > threshold;
            const py = y > threshold;
            if (px && py) s.inter++;
            if (px || py) s.union++;
          }
        }
        if (s.kind === 'classMap') {
          const channels = dims[1]!;
          const pixels = dims[2]! * dims[3]!;
          for (let n = 0; n < dims[0]!; n++) {
            const offset = n * channels * pixels;
            s.acc!.add(
              argmaxClassMap(db.subarray(offset, offset + channels * pixels), channels, pixels),
              argmaxClassMap(da.subarray(offset, offset + channels * pixels), channels, pixels),
            );
          }
        }
      }
    }
  } finally {
    await floatSession.release();
    await quantSession.release();
  }
  return [...stats].map(([name, s]) => ({
    name,
    kind: s.kind,
    ...(s.kind === 'classMap' ? { iou: s.acc!.meanIoU() } : s.kind === 'binaryMap' ? { iou: s.union === 0 ? 1 : s.inter / s.union } : {}),
    maxAbsDiff: s.maxAbs,
    cosine: s.na === 0 && s.nb === 0 ? 1 : s.dot / Math.sqrt(s.na * s.nb),
  }));
}
