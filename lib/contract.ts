// The message contract between the nodes (docs/message-contract.md is its prose form).
// Large numeric data travels as Buffers: Node-RED's message clone on fan-out shares a Buffer's memory
// but copies typed arrays, so a multi-megabyte tensor would otherwise be copied once per extra wire.
// Treat these Buffers as read-only; a node that changes data makes its own copy.
import { elementView, type ElementArray, type ElementType } from './element-types';

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
