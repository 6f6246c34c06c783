// How a quantized model compares with its float original: latency (interleaved runs) and output agreement.
export type { OutputAgreement } from './agreement';
import type * as OrtTypes from 'onnxruntime-node';
import { floatToHalf, halfToFloat, readModelInfo } from '../onnx';
import { median } from '../util/stats';
import { AgreementMeter, selectOutputs, shapeHints, type JudgingOptions, type OutputAgreement } from './agreement';
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

/**
 * Runs both models over the samples and compares the judged outputs (the first by default, see agreement.ts).
 * `threshold` binarises 1-channel maps (probabilities: 0.5; PP-OCR's DB maps use 0.3).
 */
export async function compareOutputs(
  floatModel: Uint8Array,
  quantizedModel: Uint8Array,
  samples: CalibrationSample[],
  options: JudgingOptions = {},
): Promise<OutputAgreement[]> {
  const ort = await loadOrt();
  const meter = new AgreementMeter(options.threshold ?? 0.5, shapeHints(readModelInfo(floatModel)));
  const floatSession = await ort.InferenceSession.create(floatModel);
  const quantSession = await ort.InferenceSession.create(quantizedModel);
  try {
    const names = selectOutputs(floatSession.outputNames, options.outputs);
    for (const sample of samples) {
      const a = await floatSession.run(feeds(ort, sample, floatSession), names);
      const b = await quantSession.run(feeds(ort, sample, quantSession), names);
      for (const name of names) {
        const da = floatData(a[name]!);
        const db = b[name] ? floatData(b[name]) : undefined;
        if (da && db) meter.add(name, da, db, a[name]!.dims);
      }
    }
  } finally {
    await floatSession.release();
    await quantSession.release();
  }
  return meter.results();
}
