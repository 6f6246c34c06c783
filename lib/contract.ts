// The message contract between the nodes (docs/message-contract.md is its prose form).
// Large numeric data travels as Buffers: Node-RED's message clone on fan-out shares a Buffer's memory
// but copies typed arrays, so a multi-megabyte tensor would otherwise be copied once per extra wire.
// Treat these Buffers as read-only; a node that changes data makes its own copy.
import { ELEMENT_TYPES, elementView, isElementType, tensorBytes, type ElementArray, type ElementType } from './element-types';
import { PipelineError, type ErrorCode } from './errors';
import { describeReceived } from './settings';

export type { ElementType } from './element-types';

/** msg.image, written by mlops-image. */
export interface ImageData {
  /** Raw pixels, row-major, HWC, uint8. */
  data: Buffer;
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA). */
  channels: 3 | 4;
  /** Encoded source format: jpeg, png, webp, tiff, gif, avif (heif). */
  format: string;
  /** The encoded bytes as received (after no re-encoding), for attachments. */
  encoded: Buffer;
  /** Where the image came from: "buffer", "file", "data-url", "base64", "url". */
  source: string;
  /** File path or URL when there was one. */
  origin?: string;
  /** EXIF orientation that was applied (1 = none). */
  orientation: number;
  /** Which decoder produced the pixels. */
  decoder: 'sharp' | 'jimp';
}

export type TensorElementType = Extract<ElementType, 'float32' | 'uint8'>;
export type TensorLayout = 'NCHW' | 'NHWC';

/** How an image was mapped into the tensor, so results can be mapped back. */
export interface TensorGeometry {
  /** Size of the source image. */
  sourceWidth: number;
  sourceHeight: number;
  /** Size of the tensor's spatial plane. */
  width: number;
  height: number;
  /** Source pixels → tensor pixels scale factors (x and y differ for "fill"). */
  scaleX: number;
  scaleY: number;
  /** Offset of the scaled image inside the tensor (letterbox padding; negative for "cover" crops). */
  padLeft: number;
  padTop: number;
  resize: 'fill' | 'contain' | 'cover';
}

/** msg.tensor, written by mlops-tensor. */
export interface TensorData {
  /** Little-endian element data; view it with tensorView(). */
  data: Buffer;
  type: TensorElementType;
  dims: number[];
  layout: TensorLayout;
  colorOrder: 'RGB' | 'BGR';
  geometry: TensorGeometry;
  /** Model input this tensor is meant for, when known. */
  name?: string;
}

/**
 * msg.tensor for non-image models, written by mlops-align: feature vectors [1, N] or sequences [1, T, N].
 * mlops-infer reads only data, type, dims and name, so TensorData and FeatureTensor both feed it.
 */
export interface FeatureTensor {
  data: Buffer;
  type: 'float32';
  dims: number[];
  /** Model input this tensor is meant for, when set. */
  name?: string;
}

/** Element types of model outputs the nodes read (segmentation decodes these). */
export type OutputElementType = Extract<ElementType, 'float32' | 'uint8' | 'int8' | 'int32' | 'int64' | 'bool' | 'float64'>;

/** One entry of msg.outputs, written by mlops-infer. */
export interface OutputTensor {
  data: Buffer;
  /** Any element type a model can output; consumers check for the ones they read (OutputElementType for segmentation). */
  type: ElementType;
  dims: number[];
}

/**
 * Names of msg.outputs in the model's own order. A plain object lists integer-like keys ("1890") before all others,
 * whatever the model said, so "the first output" comes from the model's order; keys it does not know follow.
 */
export function outputNamesInModelOrder(outputs: Record<string, unknown>, modelOrder: readonly string[] = []): string[] {
  const ordered = modelOrder.filter((name) => Object.hasOwn(outputs, name));
  return [...new Set([...ordered, ...Object.keys(outputs)])];
}

/** msg.timings: milliseconds per stage, each node adds its own keys. */
export type Timings = Record<string, number>;

/** One connected component of a class in msg.segmentation. */
export interface SegmentComponent {
  classIndex: number;
  label: string;
  area: number;
  /** [x, y, width, height] in original image pixels. */
  bbox: [number, number, number, number];
}

export interface ClassStat {
  index: number;
  label: string;
  color: string;
  pixels: number;
  ratio: number;
}

/** msg.segmentation, written by mlops-segment. */
export interface SegmentationResult {
  /** Class index per pixel of the original image, uint8, row-major. */
  classMap: Buffer;
  width: number;
  height: number;
  labels: string[];
  colors: string[];
  classes: ClassStat[];
  components: SegmentComponent[];
  /** Encoded overlay image (PNG or JPEG) when enabled. */
  overlay?: Buffer;
  overlayFormat?: 'png' | 'jpeg';
  /** The model output that was read. */
  output?: string;
  /** How a 1-channel output was read: logits through a sigmoid, or as probabilities. */
  singleChannel?: 'sigmoid' | 'probability';
}

/** Typed-array view on a Buffer without copying. The Buffer must be aligned to the element size. */
export function typedView<T extends ElementType>(data: Buffer, type: T): ElementArray<T> {
  return elementView(data, type);
}

/** Wraps a typed array's memory in a Buffer without copying. */
export function bufferOf(array: ArrayBufferView): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/** msg.prediction, written by mlops-classify: one row of a classifier's output. */
export interface Prediction {
  /** The winning label: argmax, or for binary models the positive label when its probability is above the threshold. */
  label: string;
  /** Index of that label in the model's classes. */
  index: number;
  /** Probability of that label. */
  score: number;
  /** Probability per label (softmax of logits, or the model's probabilities). */
  scores: Record<string, number>;
}

/** Health states of an inspected asset; RETAKE asks for a new picture. */
export type HealthState = 'OK' | 'WARNING' | 'CRITICAL' | 'RETAKE';

/** Cumulocity alarm severities. */
export type AlarmSeverity = 'CRITICAL' | 'MAJOR' | 'MINOR' | 'WARNING';

/** msg.condition, written by mlops-condition. */
export interface ConditionResult {
  /** The asset inspected: msg.assetId, else the node's configured id. */
  assetId: string;
  /** Dominant asset class label, or "none" when no asset was found. */
  assetType: string;
  state: HealthState;
  /** 0 (healthy) … 1 (worst) from the rule that fired. */
  score: number;
  /** Human-readable reasons, one per rule or quality check that fired. */
  reasons: string[];
  /** Alarm severity for this state, null when the state raises no alarm (OK). */
  severity: AlarmSeverity | null;
  /** Per-class pixel ratios the rules saw. */
  ratios: Record<string, number>;
  /** Thresholds of the rules per ratio name in `ratios` ("rust/tower": [0.05, 0.01]), for nodes that ask how close a decision was. */
  thresholds?: Record<string, number[]>;
  /** Picture quality figures: variance of the Laplacian, mean brightness 0…255; null when msg.image was absent. */
  quality: { sharpness: number; brightness: number } | null;
  /** State before this inspection (after debounce), and whether this inspection changed it. */
  previousState: HealthState | null;
  changed: boolean;
}

// ---- Guards: one per contract type, used by every node that reads it. Each refuses what the producing node would
// never write (a hand-made object from a function node, a message from an older flow) with what is wrong, so a bad
// message fails with a clear PipelineError instead of a TypeError deep inside a consumer.

/** The codes each guard raises, for catalog-coverage tests of the nodes that call it. */
export const GUARD_CODES = {
  assertImage: ['no-image', 'bad-image', 'zero-size', 'bad-channels'],
  assertTensor: ['bad-tensor', 'size-mismatch'],
  assertOutputs: ['no-outputs', 'bad-output'],
  assertSegmentation: ['no-segmentation', 'bad-segmentation'],
  assertCondition: ['bad-condition'],
} as const satisfies Record<string, readonly ErrorCode[]>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;

/** The pixel part of msg.image, which is all consumers read. */
export type ImagePixels = Pick<ImageData, 'data' | 'width' | 'height' | 'channels'>;

/** HWC uint8 pixels with 3 or 4 channels and matching length; says what was received otherwise. */
export function assertImage(image: unknown, where = 'msg.image'): asserts image is ImagePixels {
  if (image === undefined || image === null || typeof image !== 'object') {
    throw new PipelineError('no-image', `${where} is missing; put an mlops-image node before this one`, { where });
  }
  const { data, width, height, channels } = image as { data?: unknown; width?: number; height?: number; channels?: number };
  if (!(data instanceof Uint8Array)) {
    throw new PipelineError('bad-image', `${where}.data is not a Buffer of pixels; ${where} must come from an mlops-image node`, { reason: 'data is not a Buffer' });
  }
  if (!isCount(width) || !isCount(height)) {
    throw new PipelineError('zero-size', `${where} is ${width}x${height}; width and height must be positive whole numbers`, { width: String(width), height: String(height) });
  }
  if (channels !== 3 && channels !== 4) {
    throw new PipelineError('bad-channels', `${where} has ${channels} channels; pre-processing needs 3 (RGB) or 4 (RGBA)`, { channels: String(channels) });
  }
  if (data.length !== width * height * channels) {
    throw new PipelineError('bad-image', `${where}.data holds ${data.length} bytes but ${width}x${height}x${channels} needs ${width * height * channels}`,
      { reason: `${data.length} bytes for ${width}x${height}x${channels}` });
  }
}

/** A tensor as a consumer reads it: data as a Buffer over the same memory (typed arrays are accepted). */
export interface CheckedTensor {
  data: Buffer;
  type: ElementType;
  dims: number[];
  name?: string;
}

/**
 * msg.tensor (or an entry of msg.tensors): { data, type, dims } with a known element type, positive whole dims and
 * exactly the bytes its dims need. Returns it with data as a Buffer.
 */
export function assertTensor(tensor: unknown, where = 'msg.tensor'): CheckedTensor {
  const hint = 'a tensor {data: Buffer, type, dims} such as mlops-tensor writes';
  if (!isObject(tensor)) throw new PipelineError('bad-tensor', `${where} is not ${hint}`, { where });
  const raw = tensor.data;
  const data = Buffer.isBuffer(raw) ? raw : ArrayBuffer.isView(raw) ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const { type, dims } = tensor;
  if (!data || typeof type !== 'string' || !Array.isArray(dims) || !dims.every(isCount)) {
    throw new PipelineError('bad-tensor', `${where} is not ${hint}: data must be a Buffer, type a string and dims positive integers`, { where });
  }
  if (!isElementType(type)) {
    throw new PipelineError('bad-tensor', `${where} has type "${type}", which is not a tensor element type (${Object.keys(ELEMENT_TYPES).join(', ')})`, { where });
  }
  const bytes = tensorBytes(type, dims);
  if (data.byteLength !== bytes) {
    throw new PipelineError('size-mismatch',
      `${where} has ${data.byteLength} bytes of data, but shape [${dims.join(',')}] of ${type} needs ${bytes}; the data does not match its dims`,
      { where, bytes: data.byteLength, expected: bytes });
  }
  const name = typeof tensor.name === 'string' && tensor.name !== '' ? tensor.name : undefined;
  return { data, type, dims: [...dims], ...(name ? { name } : {}) };
}

/** msg.outputs: an object of model outputs, each a tensor ({ data: Buffer, type, dims }). */
export function assertOutputs(outputs: unknown, where = 'msg.outputs'): asserts outputs is Record<string, OutputTensor> {
  if (!isObject(outputs) || Object.keys(outputs).length === 0) {
    throw new PipelineError('no-outputs', `${where} has no model outputs: connect this node after mlops-infer.`, { where });
  }
  for (const [name, output] of Object.entries(outputs)) {
    if (!isObject(output) || !Buffer.isBuffer(output.data) || !Array.isArray(output.dims) || !isElementType(output.type)) {
      throw new PipelineError('bad-output', `${where}["${name}"] is not a model output ({ data: Buffer, type, dims }); connect this node after mlops-infer.`, { name });
    }
  }
}

/** msg.segmentation as mlops-segment writes it: labels, per-class pixel counts and ratios, size, components. */
export function assertSegmentation(segmentation: unknown, where = 'msg.segmentation'): asserts segmentation is SegmentationResult {
  if (segmentation === undefined || segmentation === null) {
    throw new PipelineError('no-segmentation', `${where} is missing: connect this node after mlops-segment.`, { where });
  }
  const s = segmentation as Partial<Record<keyof SegmentationResult, unknown>>;
  const valid = isObject(segmentation) && Array.isArray(s.classes) && Array.isArray(s.labels) && isCount(s.width) && isCount(s.height)
    && (s.components === undefined || Array.isArray(s.components))
    && s.classes.every((c: unknown) => isObject(c) && typeof c.label === 'string' && Number.isFinite(c.pixels) && (c.pixels as number) >= 0);
  if (!valid) {
    throw new PipelineError('bad-segmentation',
      `${where} is not a segmentation result ({ labels, classes: [{ label, pixels }], width, height }): connect this node after mlops-segment.`, { where });
  }
}

const HEALTH_STATES: readonly HealthState[] = ['OK', 'WARNING', 'CRITICAL', 'RETAKE'];
const ALARM_SEVERITIES: readonly AlarmSeverity[] = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'];

/** What each field of msg.condition must be: the test and the words for it. */
const CONDITION_FIELDS: [keyof ConditionResult, (value: unknown) => boolean, string][] = [
  ['state', (v) => HEALTH_STATES.includes(v as HealthState), `one of ${HEALTH_STATES.join(', ')}`],
  ['score', (v) => typeof v === 'number' && v >= 0 && v <= 1, 'a number from 0 to 1'],
  ['reasons', (v) => Array.isArray(v) && v.every((r) => typeof r === 'string'), 'a list of texts'],
  ['severity', (v) => v === null || ALARM_SEVERITIES.includes(v as AlarmSeverity), `null or one of ${ALARM_SEVERITIES.join(', ')}`],
  ['assetType', (v) => typeof v === 'string', 'a text'],
  ['ratios', (v) => isObject(v) && Object.values(v).every((r) => typeof r === 'number'), 'an object of numbers'],
  ['quality', (v) => v === null || v === undefined || (isObject(v) && typeof v.sharpness === 'number' && typeof v.brightness === 'number'),
    'null or { sharpness, brightness }'],
];

/** msg.condition as mlops-condition writes it; names the first field that is wrong. */
export function assertCondition(condition: unknown, where = 'msg.condition'): asserts condition is ConditionResult {
  let problem: string | undefined;
  if (!isObject(condition)) problem = ` is ${describeReceived(condition)}, not an object`;
  else {
    const wrong = CONDITION_FIELDS.find(([field, ok]) => !ok(condition[field]));
    if (wrong) problem = `.${wrong[0]} is ${describeReceived(condition[wrong[0]])}; expected ${wrong[2]}`;
  }
  if (problem) {
    throw new PipelineError('bad-condition',
      `${where}${problem}: a condition is { state, score, reasons, severity, assetType, ratios, … } as mlops-condition writes it; ` +
      'connect this node after mlops-condition or complete the object', { where, problem });
  }
}
