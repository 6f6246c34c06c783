// Bias correction (Nagel et al., "Data-Free Quantization", 2019, §4.2, with measured input means): rounding the
// weights of a channel shifts its output's mean by Σ (W_q − W) · E[x]. Depthwise kernels have 9–25 weights per
// channel, too few for rounding errors to cancel. The shift is taken out of the float bias before the bias is
// quantized, so the int32 bias keeps the scale input_scale × weight_scale that ORT's QLinearConv fusion checks.
import { dequantizedWeights } from './math';

export interface ConvWeights {
  /** Float weights [Cout, Cin/group, …kernel]. */
  values: Float32Array;
  dims: number[];
  group: number;
}

/**
 * Output-mean shift per output channel that quantizing the weights causes, given the mean per input channel of
 * the Conv's input (border padding, which sees zeros, is not modelled).
 */
export function weightRoundingShift(weights: ConvWeights, quantized: Float32Array, inputMeans: Float64Array): Float64Array {
  const [outChannels = 0, groupInputs = 0] = weights.dims;
  const kernel = weights.dims.slice(2).reduce((a, b) => a * b, 1);
  const outPerGroup = Math.max(1, outChannels / Math.max(1, weights.group));
  const shift = new Float64Array(outChannels);
  for (let c = 0; c < outChannels; c++) {
    const firstInput = Math.floor(c / outPerGroup) * groupInputs;
    let sum = 0;
    for (let i = 0; i < groupInputs; i++) {
      const mean = inputMeans[firstInput + i] ?? 0;
      const base = (c * groupInputs + i) * kernel;
      let delta = 0;
      for (let k = 0; k < kernel; k++) delta += quantized[base + k]! - weights.values[base + k]!;
      sum += delta * mean;
    }
    shift[c] = sum;
  }
  return shift;
}

/** The float bias with the weight-rounding shift taken out (a Conv without bias gets one). */
export function correctedBias(
  bias: Float32Array | undefined,
  weights: ConvWeights,
  quantizedValues: Int8Array,
  scales: Float32Array,
  inputMeans: Float64Array,
): Float32Array {
  const expectedInputs = (weights.dims[1] ?? 0) * Math.max(1, weights.group);
  const outChannels = weights.dims[0] ?? 0;
  const base = bias ?? new Float32Array(outChannels);
  if (inputMeans.length !== expectedInputs) return Float32Array.from(base);
  const shift = weightRoundingShift(weights, dequantizedWeights(quantizedValues, scales, weights.dims), inputMeans);
  return Float32Array.from(base, (b, c) => b - shift[c]!);
}
