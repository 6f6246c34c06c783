// Activation ranges: the float model runs over the calibration inputs with the tensors of interest added as
// graph outputs. MinMax needs one pass; percentile and entropy make a second pass filling fixed-size histograms.
import type * as OrtTypes from 'onnxruntime-node';
import { PipelineError } from '../errors';
import { decodeModel, encodeModel } from '../onnx';
import { Histogram, entropyRange, percentileRange } from './histogram';
import type { QuantRange } from './math';

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

/** One calibration input: model input name → float data and shape. */
export type CalibrationSample = Record<string, { data: Float32Array; dims: number[] }>;

export interface CalibrationOptions {
  method: CalibrationMethod;
  /** For 'percentile': share of values kept inside the range, e.g. 99.999. */
  percentile?: number;
  /** Tensors that keep their min/max range whatever the method (graph outputs: thresholds downstream need it). */
  keepMinMax?: Set<string>;
  /** Called after every inference with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

function extendedWithOutputs(modelBytes: Uint8Array, names: string[]): Uint8Array {
  const model = decodeModel(modelBytes);
  const graph = model.graph!;
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  for (const name of names) if (!existing.has(name)) graph.output!.push({ name });
  return encodeModel(model);
}

function feedsOf(ort: typeof OrtTypes, sample: CalibrationSample): Record<string, OrtTypes.Tensor> {
  const feeds: Record<string, OrtTypes.Tensor> = {};
  for (const [name, { data, dims }] of Object.entries(sample)) feeds[name] = new ort.Tensor('float32', data, dims);
  return feeds;
}

function minMax(values: Float32Array): QuantRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * Ranges of the named float tensors (activations and graph inputs) over the samples.
 * Tensors that turn out not to be float32 (shape arithmetic) are left out of the result.
 */
export async function calibrateRanges(
  modelBytes: Uint8Array,
  tensorNames: string[],
  samples: CalibrationSample[],
  options: CalibrationOptions,
): Promise<Map<string, QuantRange>> {
  if (samples.length === 0) {
    throw new PipelineError('no_calibration', 'static quantization needs calibration inputs; give at least one (10–100 representative images are typical)');
  }
  const ort = await import('onnxruntime-node');
  const inputNames = new Set(Object.keys(samples[0]!));
  const outputNames = tensorNames.filter((n) => !inputNames.has(n));
  const session = await ort.InferenceSession.create(extendedWithOutputs(modelBytes, outputNames), {
    graphOptimizationLevel: 'basic',
  });
  const passes = options.method === 'minmax' ? 1 : 2;
  const total = samples.length * passes;
  let done = 0;
  const ranges = new Map<string, QuantRange>();
  const histograms = new Map<string, Histogram>();
  const wanted = new Set(tensorNames);

  const visit = async (sample: CalibrationSample, use: (name: string, values: Float32Array) => void) => {
    let results: Record<string, OrtTypes.Tensor>;
    try {
      results = await session.run(feedsOf(ort, sample), outputNames);
    } catch (err) {
      throw new PipelineError('calibration_failed', `the model failed on a calibration input: ${(err as Error).message}; check that the calibration inputs match the model's input shape and pre-processing`, { reason: (err as Error).message });
    }
    for (const [name, { data }] of Object.entries(sample)) if (wanted.has(name)) use(name, data);
    for (const name of outputNames) {
      const tensor = results[name];
      if (tensor && tensor.type === 'float32') use(name, tensor.data as Float32Array);
    }
    for (const tensor of Object.values(results)) tensor.dispose?.();
    options.onProgress?.(++done, total);
  };

  try {
    for (const sample of samples) {
      await visit(sample, (name, values) => {
        const seen = minMax(values);
        const previous = ranges.get(name);
        ranges.set(name, previous ? { min: Math.min(previous.min, seen.min), max: Math.max(previous.max, seen.max) } : seen);
      });
    }
    if (passes === 1) return ranges;
    for (const [name, range] of ranges) histograms.set(name, new Histogram(range.min, range.max));
    for (const sample of samples) await visit(sample, (name, values) => histograms.get(name)?.add(values));
  } finally {
    await session.release();
  }
  const percentile = options.percentile ?? 99.999;
  const refined = new Map<string, QuantRange>();
  for (const [name, hist] of histograms) {
    if (options.keepMinMax?.has(name)) refined.set(name, ranges.get(name)!);
    else refined.set(name, options.method === 'entropy' ? entropyRange(hist) : percentileRange(hist, percentile));
  }
  return refined;
}
