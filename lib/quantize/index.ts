// int8 quantization of ONNX models: static (QDQ, calibrated) for CNNs, dynamic for MatMul/Gemm-heavy models.
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors';
import { decodeModel, encodeModel, type onnx } from '../onnx';
import { needsReducedRange } from './cpu';
import { calibrateRanges, type CalibrationMethod, type CalibrationSample } from './calibrate';
import { quantizeDynamic } from './dynamic';
import type { QuantType } from './math';
import { isQuantizedOp, optimizeWithRuntime, prepareModel } from './preprocess';
import { quantizeStatic, tensorsToCalibrate } from './qdq';

export type { CalibrationMethod, CalibrationSample } from './calibrate';
export type { QuantType, QuantParams, QuantRange } from './math';
export { assertQuantizable, isQuantizedOp, optimizeWithRuntime, upgradeToOpset13 } from './preprocess';

export type QuantizationMode = 'static' | 'dynamic';

export interface QuantizeOptions {
  mode: QuantizationMode;
  /** Static only; default 'percentile' (on PP-OCRv4 det: IoU 0.95 against 0.87 for min/max and 0.86 for entropy). */
  method?: CalibrationMethod;
  /** For method 'percentile'; default 99.999. */
  percentile?: number;
  /** Default true: one weight scale per output channel. */
  perChannel?: boolean;
  /**
   * Static only; default 'uint8'. ONNX Runtime on x86 converts int8 activations to uint8 itself and then cannot fuse
   * Add/Mul with int8 constants, so uint8 fuses everywhere; int8 suits runtimes that prefer signed activations.
   */
  activationType?: QuantType;
  /** Node names or operator types kept in float. */
  exclude?: string[];
  /**
   * 7-bit weights, for x86 CPUs without VNNI whose u8×s8 kernels saturate 16-bit sums with full-range weights.
   * Default: decided from the CPU this runs on (the device that will run the model, for the node).
   */
  reduceRange?: boolean;
  /** Static only: int8 (default) or uint8 weights, which ORT runs with u8u8 kernels (no saturation, no 7-bit loss). */
  weightType?: QuantType;
  /** Progress of the slow stages: calibration inferences. */
  onProgress?: (stage: 'calibrate', done: number, total: number) => void;
}

export interface QuantizationRecord {
  mode: QuantizationMode;
  format: 'QDQ' | 'DynamicQuantizeMatMul';
  method?: CalibrationMethod;
  percentile?: number;
  perChannel: boolean;
  weightType: QuantType;
  /** Weights use 7 bits (±63) to avoid u8s8 saturation on x86 without VNNI. */
  reduceRange: boolean;
  activationType: QuantType | 'dynamic uint8';
  calibrationSamples: number;
  exclude: string[];
  quantizedOps: Record<string, number>;
  foldedActivations?: number;
  /** Integer kernels in ONNX Runtime's 'extended' optimisation of the result (QLinearConv, QLinearAdd, …). */
  runtimeIntegerOps: Record<string, number>;
  /** Compute-heavy operators that ORT still runs in float (Conv, ConvTranspose, MatMul, Gemm). */
  runtimeFloatOps: Record<string, number>;
  date: string;
  tool: string;
}

export interface QuantizeResult {
  /** The quantized model. */
  model: Uint8Array;
  /** The float model after pre-processing (what was calibrated), for comparisons. */
  preparedFloat: Uint8Array;
  record: QuantizationRecord;
}

export const QUANTIZATION_METADATA_KEY = 'quantization';

export function toolVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === '@edge-mlops/node-red-vision') return `${pkg.name} ${pkg.version}`;
  }
  return '@edge-mlops/node-red-vision';
}

function setMetadata(model: onnx.IModelProto, key: string, value: string): void {
  const props = (model.metadataProps ?? []).filter((p) => p.key !== key);
  props.push({ key, value });
  model.metadataProps = props;
}

const FLOAT_COMPUTE_OPS = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);

/** Loads the result in ORT at 'extended' level (proving it loads) and counts what ORT fused into integer kernels. */
async function runtimeOps(bytes: Uint8Array): Promise<Pick<QuantizationRecord, 'runtimeIntegerOps' | 'runtimeFloatOps'>> {
  let optimized: Uint8Array;
  try {
    optimized = await optimizeWithRuntime(bytes, 'extended');
  } catch (err) {
    const reason = (err as Error).message;
    throw new PipelineError('output-invalid', `ONNX Runtime cannot load the quantized model (${reason}); this is a quantizer bug: keep using the float model and report it with the model`, { reason });
  }
  const runtimeIntegerOps: Record<string, number> = {};
  const runtimeFloatOps: Record<string, number> = {};
  for (const node of decodeModel(optimized).graph?.node ?? []) {
    const op = String(node.opType);
    const target = isQuantizedOp(op) && op !== 'QuantizeLinear' && op !== 'DequantizeLinear' && op !== 'DynamicQuantizeLinear' ? runtimeIntegerOps
      : FLOAT_COMPUTE_OPS.has(op) ? runtimeFloatOps : undefined;
    if (target) target[op] = (target[op] ?? 0) + 1;
  }
  return { runtimeIntegerOps, runtimeFloatOps };
}

function nothingToQuantize(): PipelineError {
  return new PipelineError('nothing-to-quantize', 'static quantization found no operator to quantize (Conv, MatMul, Gemm, Add, Mul, Concat, pooling…) outside the exclusion list; check the exclusion list, or use dynamic mode for MLPs');
}

export async function quantizeModel(
  bytes: Uint8Array,
  samples: CalibrationSample[],
  options: QuantizeOptions,
): Promise<QuantizeResult> {
  const perChannel = options.perChannel ?? true;
  const exclude = options.exclude ?? [];
  const weightType = options.mode === 'static' ? options.weightType ?? 'int8' : 'int8';
  const reduceRange = weightType === 'int8' && (options.reduceRange ?? needsReducedRange());
  const prepared = await prepareModel(bytes, perChannel && options.mode === 'static');
  const model = prepared.model;
  let record: QuantizationRecord;
  const common = { perChannel, reduceRange, weightType, exclude, date: new Date().toISOString(), tool: toolVersion() };
  if (options.mode === 'dynamic') {
    const report = quantizeDynamic(model, { perChannel, exclude, reduceRange });
    if (Object.keys(report.quantizedOps).length === 0) {
      throw new PipelineError('nothing-to-quantize', 'dynamic quantization found no MatMul or Gemm with constant weights to quantize; use static mode for convolutional models');
    }
    record = { mode: 'dynamic', format: 'DynamicQuantizeMatMul', activationType: 'dynamic uint8', calibrationSamples: 0, quantizedOps: report.quantizedOps, runtimeIntegerOps: {}, runtimeFloatOps: {}, ...common };
  } else {
    const method = options.method ?? 'percentile';
    const activationType = options.activationType ?? 'uint8';
    const tensors = tensorsToCalibrate(model, { exclude });
    if (tensors.length === 0) throw nothingToQuantize();
    const ranges = await calibrateRanges(prepared.bytes, tensors, samples, {
      method,
      percentile: options.percentile,
      keepMinMax: new Set((model.graph?.output ?? []).map((o) => o.name ?? '')),
      onProgress: (done, total) => options.onProgress?.('calibrate', done, total),
    });
    const report = quantizeStatic(model, ranges, { perChannel, activationType, exclude, reduceRange, weightType });
    if (report.quantizedTensors === 0) throw nothingToQuantize();
    record = {
      mode: 'static', format: 'QDQ', method, ...(method === 'percentile' ? { percentile: options.percentile ?? 99.999 } : {}),
      activationType, calibrationSamples: samples.length, quantizedOps: report.quantizedOps,
      foldedActivations: report.foldedActivations, runtimeIntegerOps: {}, runtimeFloatOps: {}, ...common,
    };
  }
  Object.assign(record, await runtimeOps(encodeModel(model)));
  setMetadata(model, QUANTIZATION_METADATA_KEY, JSON.stringify(record));
  return { model: encodeModel(model), preparedFloat: prepared.bytes, record };
}

/** The quantization record a model carries, if it was quantized by this tool. */
export function readQuantizationRecord(bytes: Uint8Array): QuantizationRecord | undefined {
  const prop = (decodeModel(bytes).metadataProps ?? []).find((p) => p.key === QUANTIZATION_METADATA_KEY);
  return prop?.value ? (JSON.parse(prop.value) as QuantizationRecord) : undefined;
}
