// Scale and zero-point arithmetic for int8 quantization, in float32 exactly as ONNX Runtime stores and checks it.

export type QuantType = 'int8' | 'uint8';

export interface QuantParams {
  /** float32 values (Math.fround applied). */
  scale: number;
  zeroPoint: number;
  type: QuantType;
}

export interface QuantRange { min: number; max: number }

/** Integer range of a type; symmetric int8 drops -128 so that +x and -x quantize to opposite values. */
export function integerRange(type: QuantType, symmetric: boolean): { qmin: number; qmax: number } {
  if (type === 'uint8') return { qmin: 0, qmax: 255 };
  return symmetric ? { qmin: -127, qmax: 127 } : { qmin: -128, qmax: 127 };
}

/** Rounds half to even, as QuantizeLinear does. */
export function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}

/**
 * Asymmetric parameters for a range. The range is widened to include 0 so that 0 (padding, ReLU output)
 * is exact; an empty range (min == max == 0) gets scale 1 so nothing divides by zero.
 */
export function asymmetricParams(range: QuantRange, type: QuantType): QuantParams {
  const { qmin, qmax } = integerRange(type, false);
  const rmin = Math.min(range.min, 0);
  const rmax = Math.max(range.max, 0);
  if (!(rmax > rmin) || !Number.isFinite(rmax - rmin)) {
    return { scale: 1, zeroPoint: 0, type };
  }
  const scale = Math.fround((rmax - rmin) / (qmax - qmin));
  const zeroPoint = clamp(roundHalfToEven(qmin - rmin / scale), qmin, qmax);
  return { scale, zeroPoint, type };
}

/** Weight levels each side of 0: full int8, or 7 bits where x86 u8s8 kernels without VNNI could saturate. */
export const FULL_WEIGHT_LEVELS = 127;
export const REDUCED_WEIGHT_LEVELS = 63;

/**
 * Symmetric parameters: zero point 0 (int8) or 128 (uint8), scale from the largest magnitude mapped to `levels`.
 */
export function symmetricParams(range: QuantRange, type: QuantType, levels = FULL_WEIGHT_LEVELS): QuantParams {
  const absMax = Math.max(Math.abs(range.min), Math.abs(range.max));
  const zeroPoint = type === 'uint8' ? 128 : 0;
  if (!(absMax > 0) || !Number.isFinite(absMax)) return { scale: 1, zeroPoint, type };
  return { scale: Math.fround(absMax / levels), zeroPoint, type };
}

/** Quantizes float values with one scale and zero point, saturating to the type's range. */
export function quantizeValues(values: ArrayLike<number>, params: QuantParams, symmetric = false): Int8Array | Uint8Array {
  const { qmin, qmax } = integerRange(params.type, symmetric && params.type === 'int8');
  const out = params.type === 'uint8' ? new Uint8Array(values.length) : new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = clamp(roundHalfToEven(values[i]! / params.scale) + params.zeroPoint, qmin, qmax);
  }
  return out;
}

export interface PerChannelWeights {
  values: Int8Array;
  scales: Float32Array;
}

/**
 * Symmetric int8 weights with one scale per slice along `axis` (per output channel for Conv: axis 0).
 * `dims` is the weight's shape.
 */
export function quantizeWeightsPerChannel(weights: Float32Array, dims: number[], axis: number, levels = FULL_WEIGHT_LEVELS): PerChannelWeights {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const absMax = new Float64Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) absMax[c] = Math.max(absMax[c]!, Math.abs(weights[base + i]!));
    }
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = symmetricParams({ min: -absMax[c]!, max: absMax[c]! }, 'int8', levels).scale;
  const values = new Int8Array(weights.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const scale = scales[c]!;
      for (let i = 0; i < inner; i++) values[base + i] = clamp(roundHalfToEven(weights[base + i]! / scale), -levels, levels);
    }
  }
  return { values, scales };
}

/** Bias scale ORT expects for a fused QLinearConv: input_scale × weight_scale, multiplied in float32. */
export function biasScale(inputScale: number, weightScale: number): number {
  return Math.fround(Math.fround(inputScale) * Math.fround(weightScale));
}

/** int32 bias, one scale per output channel (a single weight scale repeats for per-tensor weights). */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { values: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(bias.length);
  const values = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const scale = biasScale(inputScale, weightScales.length === 1 ? weightScales[0]! : weightScales[c]!);
    scales[c] = scale;
    values[c] = clamp(Math.round(bias[c]! / scale), -2147483648, 2147483647);
  }
  return { values, scales };
}

/** Float values of per-channel symmetric int8 weights (axis 0): what the int8 kernel multiplies with. */
export function dequantizedWeights(values: Int8Array, scales: Float32Array, dims: number[]): Float32Array {
  const channels = dims[0] ?? 1;
  const inner = values.length / Math.max(1, channels);
  const out = new Float32Array(values.length);
  for (let c = 0; c < channels; c++) {
    const scale = scales.length === 1 ? scales[0]! : scales[c]!;
    for (let i = 0; i < inner; i++) out[c * inner + i] = values[c * inner + i]! * scale;
  }
  return out;
}
