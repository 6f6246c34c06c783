// int8 quantization of ONNX models: static (QDQ, calibrated) for CNNs, dynamic for MatMul/Gemm-heavy models.
import { PipelineError } from '../errors';
import { packageManifest } from '../package-root';
import { sha256Of } from '../model-store/verify';
import { decodeModel, encodeModel, type onnx } from '../onnx';
import { needsReducedRange } from './cpu';
import { collectCalibrationStatistics, rangesFromHistograms, type CalibrationEstimate, type CalibrationMethod, type CalibrationSample } from './calibrate';
import { quantizeDynamic } from './dynamic';
import type { Float16Conversion } from './float16';
import type { QuantType } from './math';
import { isQuantizedOp, optimizeWithRuntime, prepareModel } from './preprocess';
import { tensorsToCalibrate } from './qdq';
import { quantizeStatic } from './qdq-plan';
import type { OutputSelection } from './agreement';
import type { CalibrationSampleRef } from './saturation-check';
import { tuneForAgreement, type TuningResult } from './tuning';

export type { CalibrationEstimate, CalibrationMethod, CalibrationSample } from './calibrate';
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
   * `weightBits` (7 | 8) says the same; `reduceRange` wins when both are given.
   */
  reduceRange?: boolean;
  weightBits?: 7 | 8 | 'auto';
  /** Dynamic only: Conv with constant weights becomes DynamicQuantizeLinear + ConvInteger (ORT's quantize_dynamic form). */
  dynamicConvolutions?: boolean;
  /** Static only: int8 (default) or uint8 weights, which ORT runs with u8u8 kernels (no saturation, no 7-bit loss). */
  weightType?: QuantType;
  /**
   * Static only: keep the most sensitive quantized nodes in float, one by one, until the agreement with the float
   * model on held-out calibration inputs (the last quarter) reaches this (mIoU, IoU or cosine: see agreement.ts).
   */
  targetAgreement?: number;
  /** Most nodes accuracy tuning keeps in float (default 12). */
  maxFloatNodes?: number;
  /** Outputs agreement is judged on: the first (default), named ones, or 'all'. */
  outputs?: OutputSelection;
  /** Threshold of 1-channel probability maps for agreement (default 0.5). */
  threshold?: number;
  /** Static: most MiB of activations fetched per calibration inference (default 256); less memory, more inferences. */
  maxMemoryMB?: number;
  /**
   * Static: take the mean shift that rounding a Conv's weights causes (measured input means × weight error) out of
   * its bias; the bias scale stays input_scale × weight_scale, so ORT still fuses QLinearConv.
   */
  biasCorrection?: boolean;
  /** Static: a calibration picture to name in the record (saturation-check.ts measures on it). */
  calibrationSample?: CalibrationSampleRef;
  /** Static: what calibration will cost, known after the first input. */
  onEstimate?: (estimate: CalibrationEstimate) => void;
  /** Progress of the slow stages: calibration inferences, sensitivity of each node, tuning steps. */
  onProgress?: (stage: 'calibrate' | 'sensitivity' | 'tune', done: number, total: number) => void;
}

export interface QuantizationRecord {
  mode: QuantizationMode;
  format: 'QDQ' | 'DynamicQuantizeMatMul' | 'DynamicQuantizeMatMul+ConvInteger';
  method?: CalibrationMethod;
  percentile?: number;
  perChannel: boolean;
  weightType: QuantType;
  /** Weights use 7 bits (±63) to avoid u8s8 saturation on x86 without VNNI. */
  reduceRange: boolean;
  /**
   * Weight range the model was made for: 7 (±63, safe on every CPU) or 8 (int8 ±127, exact only on CPUs whose
   * kernels accumulate in 32 bits: x86 with VNNI, ARM; uint8 weights use u8u8 kernels, which never saturate).
   */
  weightBits: 7 | 8;
  /** True for int8 ±127 weights: x86 CPUs without VNNI saturate on them (see cpu.ts). */
  needsVnniOnX86: boolean;
  /** The float model this was made from. */
  source: QuantizationSource;
  /** The int8 model's metadata "version" (see quantizedVersion). */
  version: string;
  /** Static: the calibration's size, inferences and memory budget (see calibrate.ts). */
  calibration?: CalibrationEstimate;
  /** A calibration picture and its pre-processing, for measurements on the device (saturation-check.ts). */
  calibrationSample?: CalibrationSampleRef;
  /** With targetAgreement: what the tuning measured and chose. */
  accuracyTuning?: TuningResult;
  activationType: QuantType | 'dynamic uint8';
  calibrationSamples: number;
  exclude: string[];
  quantizedOps: Record<string, number>;
  foldedActivations?: number;
  /** Convs whose bias absorbed the weight-rounding shift (biasCorrection). */
  correctedBiases?: number;
  /** Integer kernels in ONNX Runtime's 'extended' optimisation of the result (QLinearConv, QLinearAdd, …). */
  runtimeIntegerOps: Record<string, number>;
  /** Compute-heavy operators that ORT still runs in float (Conv, ConvTranspose, MatMul, Gemm). */
  runtimeFloatOps: Record<string, number>;
  date: string;
  tool: string;
}

export interface QuantizationSource {
  /** sha256 of the source .onnx file, hex. */
  sha256: string;
  /** The source's metadata "version", when it has one. */
  version?: string;
  precision: 'float32' | 'float16';
  /** For float16 sources: what was converted to float32 before quantizing. */
  float16?: Float16Conversion;
}

export interface QuantizeResult {
  /** The quantized model. */
  model: Uint8Array;
  /** The float model after pre-processing (what was calibrated), for comparisons. */
  preparedFloat: Uint8Array;
  record: QuantizationRecord;
}

export const QUANTIZATION_METADATA_KEY = 'quantization';
/** metadata_props the int8 model gets so that a model store and Cumulocity tell it apart from its source. */
export const SOURCE_SHA256_METADATA_KEY = 'source_sha256';
export const SOURCE_VERSION_METADATA_KEY = 'source_version';

/**
 * Version of the int8 model: the source's version with a pre-release tag that says how it was made, e.g.
 * 1.0.0-int8 (8-bit weights), 1.0.0-int8.w7 (7-bit weights), 1.0.0-int8.dynamic. Without a source version: 0.0.0-….
 */
export function quantizedVersion(sourceVersion: string | undefined, record: Pick<QuantizationRecord, 'mode' | 'weightBits'>): string {
  const tags = ['int8', ...(record.mode === 'dynamic' ? ['dynamic'] : []), ...(record.weightBits === 7 ? ['w7'] : [])];
  const base = sourceVersion?.trim() || '0.0.0';
  return `${base}${base.includes('-') ? '.' : '-'}${tags.join('.')}`;
}

export function toolVersion(): string {
  const { name, version } = packageManifest();
  return `${name} ${version}`;
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

/** Data inputs of the Convs: their means per channel feed bias correction. */
function convInputs(model: onnx.IModelProto): string[] {
  return (model.graph?.node ?? []).filter((n) => n.opType === 'Conv' && n.input?.[0]).map((n) => n.input![0]!);
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
  const requested = options.reduceRange ?? (options.weightBits === 7 ? true : options.weightBits === 8 ? false : undefined);
  const reduceRange = weightType === 'int8' && (requested ?? needsReducedRange());
  const prepared = await prepareModel(bytes, perChannel && options.mode === 'static');
  let model = prepared.model;
  const sourceVersion = (model.metadataProps ?? []).find((p) => p.key === 'version')?.value || undefined;
  const source: QuantizationSource = {
    sha256: sha256Of(bytes), ...(sourceVersion ? { version: sourceVersion } : {}),
    precision: prepared.float16 ? 'float16' : 'float32', ...(prepared.float16 ? { float16: prepared.float16 } : {}),
  };
  let record: QuantizationRecord;
  const weightBits: 7 | 8 = reduceRange ? 7 : 8;
  const common = {
    perChannel, reduceRange, weightBits, needsVnniOnX86: weightType === 'int8' && !reduceRange, weightType, exclude,
    source, version: '', date: new Date().toISOString(), tool: toolVersion(),
  };
  if (options.mode === 'dynamic') {
    const report = quantizeDynamic(model, { perChannel, exclude, reduceRange, convolutions: options.dynamicConvolutions });
    if (Object.keys(report.quantizedOps).length === 0) {
      throw new PipelineError('nothing-to-quantize', 'dynamic quantization found no MatMul or Gemm with constant weights to quantize; use static mode for convolutional models (or dynamicConvolutions: ConvInteger, usually slower)');
    }
    record = { mode: 'dynamic', format: report.quantizedOps.Conv ? 'DynamicQuantizeMatMul+ConvInteger' : 'DynamicQuantizeMatMul', activationType: 'dynamic uint8', calibrationSamples: 0, quantizedOps: report.quantizedOps, runtimeIntegerOps: {}, runtimeFloatOps: {}, ...common };
  } else {
    const method = options.method ?? 'percentile';
    const activationType = options.activationType ?? 'uint8';
    const tensors = tensorsToCalibrate(model, { exclude });
    if (tensors.length === 0) throw nothingToQuantize();
    // Accuracy tuning judges on inputs calibration has not seen: the last quarter (at least one) is held out.
    const tuning = options.targetAgreement;
    const heldOutCount = tuning !== undefined && samples.length >= 2 ? Math.max(1, Math.round(samples.length / 4)) : 0;
    const calibration = samples.slice(0, samples.length - heldOutCount);
    let calibrationEstimate: CalibrationEstimate | undefined;
    const statistics = await collectCalibrationStatistics(prepared.bytes, tensors, calibration, {
      ...(options.biasCorrection ? { channelMeans: new Set(convInputs(model)) } : {}),
      onProgress: (done, total) => options.onProgress?.('calibrate', done, total),
      ...(options.maxMemoryMB !== undefined ? { memoryBudgetMB: options.maxMemoryMB } : {}),
      onEstimate: (estimate) => { calibrationEstimate = estimate; options.onEstimate?.(estimate); },
    });
    const ranges = rangesFromHistograms(statistics.histograms, {
      method, percentile: options.percentile, keepMinMax: new Set((model.graph?.output ?? []).map((o) => o.name ?? '')),
    });
    const staticOptions = { perChannel, activationType, reduceRange, weightType, ...(options.biasCorrection ? { inputMeans: statistics.channelMeans } : {}) };
    const build = (floatNodes: string[]) => {
      const copy = decodeModel(prepared.bytes);
      return { model: copy, report: quantizeStatic(copy, ranges, { ...staticOptions, exclude: [...exclude, ...floatNodes] }) };
    };
    let built = { model, report: quantizeStatic(model, ranges, { ...staticOptions, exclude }) };
    if (built.report.quantizedTensors === 0) throw nothingToQuantize();
    let accuracyTuning: TuningResult | undefined;
    if (tuning !== undefined) {
      accuracyTuning = await tuneForAgreement(prepared.bytes, (floatNodes) => encodeModel(build(floatNodes).model), built.report.quantizedNodes,
        heldOutCount > 0 ? samples.slice(-heldOutCount) : samples, heldOutCount, {
          target: tuning, outputs: options.outputs, threshold: options.threshold, maxFloatNodes: options.maxFloatNodes,
          onProgress: (stage, done, total) => options.onProgress?.(stage, done, total),
        });
      if (accuracyTuning.floatNodes.length > 0) built = build(accuracyTuning.floatNodes);
    }
    model = built.model;
    const report = built.report;
    record = {
      mode: 'static', format: 'QDQ', method, ...(method === 'percentile' ? { percentile: options.percentile ?? 99.999 } : {}),
      activationType, calibrationSamples: calibration.length, quantizedOps: report.quantizedOps,
      foldedActivations: report.foldedActivations, ...(options.biasCorrection ? { correctedBiases: report.correctedBiases } : {}), runtimeIntegerOps: {}, runtimeFloatOps: {}, ...common,
      ...(accuracyTuning ? { exclude: [...exclude, ...accuracyTuning.floatNodes], accuracyTuning } : {}),
      ...(calibrationEstimate ? { calibration: calibrationEstimate } : {}),
      ...(options.calibrationSample ? { calibrationSample: options.calibrationSample } : {}),
    };
  }
  Object.assign(record, await runtimeOps(encodeModel(model)));
  record.version = quantizedVersion(sourceVersion, record);
  setMetadata(model, QUANTIZATION_METADATA_KEY, JSON.stringify(record));
  setMetadata(model, 'version', record.version);
  setMetadata(model, SOURCE_SHA256_METADATA_KEY, source.sha256);
  if (sourceVersion) setMetadata(model, SOURCE_VERSION_METADATA_KEY, sourceVersion);
  return { model: encodeModel(model), preparedFloat: prepared.bytes, record };
}

/** The quantization record a model carries, if it was quantized by this tool. */
export function readQuantizationRecord(bytes: Uint8Array): QuantizationRecord | undefined {
  const prop = (decodeModel(bytes).metadataProps ?? []).find((p) => p.key === QUANTIZATION_METADATA_KEY);
  return prop?.value ? (JSON.parse(prop.value) as QuantizationRecord) : undefined;
}
