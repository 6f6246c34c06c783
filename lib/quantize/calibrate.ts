// Activation ranges: the float model runs over the calibration inputs with the tensors of interest added as
// graph outputs, streamed in one pass into min/max and self-extending histograms (percentile, entropy).
import type * as OrtTypes from 'onnxruntime-node';
import { PipelineError } from '../errors';
import { decodeModel, encodeModel } from '../onnx';
import { Histogram, entropyRange, mseRange, percentileRange } from './histogram';
import type { QuantRange } from './math';

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy' | 'mse';

/** One calibration input: model input name → float data and shape. */
export type CalibrationSample = Record<string, { data: Float32Array; dims: number[] }>;

export interface CalibrationOptions {
  method: CalibrationMethod;
  /** For 'percentile': share of values kept inside the range, e.g. 99.999. */
  percentile?: number;
  /** Tensors that keep their min/max range whatever the method (graph outputs: thresholds downstream need it). */
  keepMinMax?: Set<string>;
  /**
   * Most megabytes of activations fetched per inference (default 256). Larger models are calibrated with several
   * inferences per input, each fetching a group of tensors, so memory stays bounded on small devices.
   */
  memoryBudgetMB?: number;
  /** Called as inferences complete with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Called once, after the first input, with what the rest will cost. */
  onEstimate?: (estimate: CalibrationEstimate) => void;
  /** Tensors ([N, C, …]) whose mean per channel is kept as well (Conv inputs, for bias correction). */
  channelMeans?: Set<string>;
}

/** What one streamed calibration pass collects. */
export interface CalibrationStatistics {
  histograms: Map<string, Histogram>;
  /** Mean per channel (axis 1) of the tensors named in `channelMeans`. */
  channelMeans: Map<string, Float64Array>;
}

/** Running mean per channel (axis 1) of [N, C, …] tensors. */
class ChannelMeanAccumulator {
  sums: Float64Array | undefined;
  count = 0;
  add(values: Float32Array, dims: readonly number[]): void {
    const channels = dims.length >= 2 ? Number(dims[1]) : 1;
    const inner = dims.slice(2).reduce<number>((a, b) => a * Number(b), 1);
    const outer = dims.length >= 1 ? Number(dims[0]) : 1;
    if (!(channels > 0) || outer * channels * inner !== values.length) return;
    if (this.sums && this.sums.length !== channels) return;
    const sums = (this.sums ??= new Float64Array(channels));
    for (let n = 0; n < outer; n++) {
      for (let c = 0; c < channels; c++) {
        const base = (n * channels + c) * inner;
        let sum = 0;
        for (let i = 0; i < inner; i++) sum += values[base + i]!;
        sums[c]! += sum;
      }
    }
    this.count += outer * inner;
  }
  means(): Float64Array | undefined {
    return this.sums && this.count > 0 ? this.sums.map((s) => s / this.count) : undefined;
  }
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

/** Most tensors per probe group (the probe sizes its groups by the largest tensor seen so far). */
const PROBE_GROUP_MOST = 64;


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

/** What calibration will cost, known after the first input (the probe): printed before the bulk of the work. */
export interface CalibrationEstimate {
  tensors: number;
  /** Bytes of all calibrated activations of one input. */
  activationBytes: number;
  /** Inferences per input: the tensors are fetched in groups that fit the memory budget. */
  inferencesPerInput: number;
  inputs: number;
  budgetBytes: number;
  /** Seconds the probe input took, times the inputs left (a rough figure: the probe used smaller groups). */
  secondsLeft: number;
  /** Largest group's activations plus the model: what ORT holds at once besides its arena-free work memory. */
  peakBytes: number;
}

/** Default memory budget for fetched activations. */
export const DEFAULT_CALIBRATION_BUDGET_MB = 256;

/**
 * Ranges of the named float tensors (activations and graph inputs) over the samples, in one streamed pass:
 * every fetched activation goes straight into its tensor's histogram (and min/max) and is released, so memory
 * stays at the budget however many inputs there are. Tensors that turn out not to be float32 (shape arithmetic)
 * are left out of the result.
 *
 * Memory: ORT keeps every graph output of a run alive until the run ends, so the tensors are fetched in groups,
 * each group with its own session whose only extra outputs are that group: the first input in groups sized by
 * the largest tensor seen so far (starting with one tensor), the others in groups that fit the memory budget.
 */
export async function calibrateRanges(
  modelBytes: Uint8Array,
  tensorNames: string[],
  samples: CalibrationSample[],
  options: CalibrationOptions,
): Promise<Map<string, QuantRange>> {
  return rangesFromHistograms((await collectCalibrationStatistics(modelBytes, tensorNames, samples, options)).histograms, options);
}

/** The streamed pass itself: histograms (and channel means where asked) of the named tensors over the samples. */
export async function collectCalibrationStatistics(
  modelBytes: Uint8Array,
  tensorNames: string[],
  samples: CalibrationSample[],
  options: Omit<CalibrationOptions, 'method'>,
): Promise<CalibrationStatistics> {
  if (samples.length === 0) {
    throw new PipelineError('no-calibration', 'static quantization needs calibration inputs; give at least one (10–100 representative images are typical)');
  }
  const ort = await import('onnxruntime-node');
  const inputNames = new Set(Object.keys(samples[0]!));
  const outputNames = tensorNames.filter((n) => !inputNames.has(n));
  const wanted = new Set(tensorNames);
  const budget = (options.memoryBudgetMB ?? DEFAULT_CALIBRATION_BUDGET_MB) * 1048576;
  const sizes = new Map<string, number>();
  const histograms = new Map<string, Histogram>();
  const means = new Map<string, ChannelMeanAccumulator>();
  const use = (name: string, values: Float32Array, dims: readonly number[]) => {
    let hist = histograms.get(name);
    if (!hist) histograms.set(name, (hist = new Histogram()));
    hist.add(values);
    if (options.channelMeans?.has(name)) {
      let mean = means.get(name);
      if (!mean) means.set(name, (mean = new ChannelMeanAccumulator()));
      mean.add(values, dims);
    }
  };
  let done = 0;
  let total = samples.length;

  /** Runs the samples through one session per group and streams each float tensor into its histogram. */
  const addInputs = (batch: CalibrationSample[]) => {
    for (const sample of batch) for (const [name, { data, dims }] of Object.entries(sample)) if (wanted.has(name)) use(name, data, dims);
  };
  const pass = async (groups: string[][], batch: CalibrationSample[]) => {
    for (const group of groups) {
      // Without the arena ORT hands the fetched activations' memory back after each run.
      const session = await ort.InferenceSession.create(extendedWithOutputs(modelBytes, group), {
        graphOptimizationLevel: 'basic',
        enableCpuMemArena: false,
      });
      try {
        for (const sample of batch) {
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
            if (tensor.type === 'float32') use(name, tensor.data as Float32Array, tensor.dims);
          }
          for (const tensor of Object.values(results)) tensor.dispose?.();
        }
      } finally {
        await session.release();
      }
      done += batch.length;
      options.onProgress?.(Math.min(done, total), total);
    }
  };

  // The probe: the first input in groups sized by the largest tensor seen so far (the first group: one tensor),
  // so the probe too stays near the budget when activations are large (a 1024x1024 input).
  const first = samples.slice(0, 1);
  const probeGroups: string[][] = [];
  let largest = 0;
  const started = performance.now();
  addInputs(first);
  for (let next = 0; next < outputNames.length;) {
    const count = largest > 0 ? Math.max(1, Math.min(PROBE_GROUP_MOST, Math.floor(budget / largest))) : 1;
    const group = outputNames.slice(next, next + count);
    next += group.length;
    // Inferences to come (a guess until sizes are known: after the first group, the rest in one more).
    const probeLeft = next >= outputNames.length ? 0 : largest > 0 ? Math.ceil((outputNames.length - next) / count) : 1;
    total = probeGroups.length + 1 + probeLeft + (samples.length - 1);
    await pass([group], first);
    probeGroups.push(group);
    for (const name of group) largest = Math.max(largest, sizes.get(name) ?? 0);
  }
  const probeSeconds = (performance.now() - started) / 1000;
  const groups = groupByBytes(outputNames.filter((n) => sizes.has(n)), sizes, budget);
  // Progress counts inferences: the probe's groups, then one per group and input.
  done = probeGroups.length;
  total = done + groups.length * (samples.length - 1);
  const groupBytes = groups.map((g) => g.reduce((sum, n) => sum + (sizes.get(n) ?? 0), 0));
  options.onEstimate?.({
    tensors: tensorNames.length,
    activationBytes: [...sizes.values()].reduce((a, b) => a + b, 0),
    inferencesPerInput: groups.length,
    inputs: samples.length,
    budgetBytes: budget,
    secondsLeft: probeSeconds * (groups.length / Math.max(1, probeGroups.length)) * (samples.length - 1),
    peakBytes: Math.max(0, ...groupBytes) + modelBytes.length,
  });
  if (samples.length > 1) {
    addInputs(samples.slice(1));
    await pass(groups, samples.slice(1));
  }
  const channelMeans = new Map<string, Float64Array>();
  for (const [name, mean] of means) {
    const values = mean.means();
    if (values) channelMeans.set(name, values);
  }
  return { histograms, channelMeans };
}

/** Each tensor's range from its histogram by the chosen method (graph outputs in keepMinMax: min/max). */
export function rangesFromHistograms(histograms: Map<string, Histogram>, options: Pick<CalibrationOptions, 'method' | 'percentile' | 'keepMinMax'>): Map<string, QuantRange> {
  const percentile = options.percentile ?? 99.999;
  const ranges = new Map<string, QuantRange>();
  for (const [name, hist] of histograms) {
    if (!(hist.lowest <= hist.highest)) continue;
    const minMax = { min: hist.lowest, max: hist.highest };
    if (options.method === 'minmax' || options.keepMinMax?.has(name)) ranges.set(name, minMax);
    else ranges.set(name, options.method === 'entropy' ? entropyRange(hist) : options.method === 'mse' ? mseRange(hist) : percentileRange(hist, percentile));
  }
  return ranges;
}
