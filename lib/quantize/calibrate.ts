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
  /**
   * Most megabytes of activations fetched per inference (default 128). Larger models are calibrated with several
   * inferences per input, each fetching a group of tensors, so memory stays bounded on small devices.
   */
  memoryBudgetMB?: number;
  /** Called after every calibration input with (done, total). */
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

/** Tensors per group while their sizes are unknown. */
const FIRST_PASS_GROUP = 16;


function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Consecutive names in groups whose tensors together stay under `budget` bytes (a lone larger tensor gets its own). */
export function groupByBytes(names: string[], sizes: Map<string, number>, budget: number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const name of names) {
    const size = sizes.get(name) ?? 0;
    if (current.length > 0 && bytes + size > budget) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(name);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
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
 *
 * Memory: ORT keeps every graph output of a run alive until the run ends, so the tensors are fetched in groups,
 * each group with its own session whose only extra outputs are that group: the first pass in groups of a fixed
 * count (sizes unknown), the histogram pass in groups that fit the memory budget.
 */
export async function calibrateRanges(
  modelBytes: Uint8Array,
  tensorNames: string[],
  samples: CalibrationSample[],
  options: CalibrationOptions,
): Promise<Map<string, QuantRange>> {
  if (samples.length === 0) {
    throw new PipelineError('no-calibration', 'static quantization needs calibration inputs; give at least one (10–100 representative images are typical)');
  }
  const ort = await import('onnxruntime-node');
  const inputNames = new Set(Object.keys(samples[0]!));
  const outputNames = tensorNames.filter((n) => !inputNames.has(n));
  const wanted = new Set(tensorNames);
  const budget = (options.memoryBudgetMB ?? 128) * 1048576;
  const sizes = new Map<string, number>();
  const passes = options.method === 'minmax' ? 1 : 2;
  let groups = chunk(outputNames, FIRST_PASS_GROUP);
  let total = Math.max(1, groups.length) * samples.length * passes;
  let done = 0;

  /** Runs every sample through a session per group and hands each float tensor to `use`. */
  const pass = async (use: (name: string, values: Float32Array) => void) => {
    for (const sample of samples) for (const [name, { data }] of Object.entries(sample)) if (wanted.has(name)) use(name, data);
    for (const group of groups) {
      // Without the arena ORT hands the fetched activations' memory back after each run.
      const session = await ort.InferenceSession.create(extendedWithOutputs(modelBytes, group), {
        graphOptimizationLevel: 'basic',
        enableCpuMemArena: false,
      });
      try {
        for (const sample of samples) {
          let results: Record<string, OrtTypes.Tensor>;
          try {
            results = await session.run(feedsOf(ort, sample), group);
          } catch (err) {
            throw new PipelineError('calibration-failed', `the model failed on a calibration input: ${(err as Error).message}; check that the calibration inputs match the model's input shape and pre-processing`, { reason: (err as Error).message });
          }
          for (const name of group) {
            const tensor = results[name];
            if (!tensor) continue;
            sizes.set(name, (tensor.data as ArrayBufferView).byteLength);
            if (tensor.type === 'float32') use(name, tensor.data as Float32Array);
          }
          for (const tensor of Object.values(results)) tensor.dispose?.();
          options.onProgress?.(++done, total);
        }
      } finally {
        await session.release();
      }
    }
  };

  const ranges = new Map<string, QuantRange>();
  await pass((name, values) => {
    const seen = minMax(values);
    const previous = ranges.get(name);
    ranges.set(name, previous ? { min: Math.min(previous.min, seen.min), max: Math.max(previous.max, seen.max) } : seen);
  });
  if (passes === 1) return ranges;

  const histograms = new Map<string, Histogram>();
  for (const [name, range] of ranges) histograms.set(name, new Histogram(range.min, range.max));
  groups = groupByBytes(outputNames.filter((n) => ranges.has(n)), sizes, budget);
  total = done + groups.length * samples.length;
  await pass((name, values) => histograms.get(name)?.add(values));
  const percentile = options.percentile ?? 99.999;
  const refined = new Map<string, QuantRange>();
  for (const [name, hist] of histograms) {
    if (options.keepMinMax?.has(name)) refined.set(name, ranges.get(name)!);
    else refined.set(name, options.method === 'entropy' ? entropyRange(hist) : percentileRange(hist, percentile));
  }
  return refined;
}
