// Agreement between a float model's outputs and its int8 copy's, judged the way the output is used:
// class-score maps by the mIoU of their argmax, 1-channel probability maps by IoU at the flow's threshold,
// feature maps and anything else by cosine similarity.
import { PipelineError } from '../errors';
import type { ModelInfo } from '../onnx';
import { argmaxClasses, ConfusionMatrix } from '../segmentation/metrics';

export type OutputKind = 'classMap' | 'binaryMap' | 'featureMap' | 'values';

export interface OutputAgreement {
  name: string;
  /** classMap: argmax over channels, mIoU; binaryMap: thresholded, IoU; featureMap/values: cosine. */
  kind: OutputKind;
  /** The number the output is judged by: iou for maps, else cosine. */
  score: number;
  metric: 'mIoU' | 'IoU' | 'cosine';
  /** Mean IoU over classes present in either map (classMap) or IoU of the foreground (binaryMap). */
  iou?: number;
  maxAbsDiff: number;
  cosine: number;
}

/** Which outputs to judge: the model's first output (default), named ones, or all float outputs. */
export type OutputSelection = string[] | 'all' | undefined;

export interface JudgingOptions {
  /** Threshold of 1-channel probability maps (default 0.5; PP-OCR's DB maps use 0.3). */
  threshold?: number;
  outputs?: OutputSelection;
}

/** What tells a class-score map from a feature map: the label count, else the input's spatial size. */
export interface ModelShapeHints {
  classes?: number;
  inputSize?: [number, number];
}

export function shapeHints(info: ModelInfo): ModelShapeHints {
  const hints: ModelShapeHints = {};
  try {
    const labels = JSON.parse(info.metadata.labels ?? 'null') as unknown;
    if (Array.isArray(labels)) hints.classes = labels.length;
    else if (labels && typeof labels === 'object') hints.classes = Object.keys(labels).length;
  } catch { /* labels that are not JSON say nothing about the class count */ }
  const dims = info.inputs[0]?.dims ?? [];
  const [h, w] = dims.length === 4 ? (dims[1] === 3 || dims[1] === 1 ? [dims[2], dims[3]] : [dims[1], dims[2]]) : [];
  if (typeof h === 'number' && typeof w === 'number') hints.inputSize = [h, w];
  return hints;
}

/**
 * [N, C>1, H, W] is a class map when C matches the labels, or (without labels) when it is at the input's
 * resolution, as dense predictions are; otherwise it is a feature map, compared by cosine.
 */
export function outputKind(dims: readonly number[], hints: ModelShapeHints = {}): OutputKind {
  if (dims.length === 4 && dims[2]! > 1 && dims[3]! > 1) {
    if (dims[1] === 1) return 'binaryMap';
    if (hints.classes !== undefined) return dims[1] === hints.classes ? 'classMap' : 'featureMap';
    const [h, w] = hints.inputSize ?? [];
    return dims[2] === h && dims[3] === w ? 'classMap' : 'featureMap';
  }
  if (dims.length === 3 && dims[1]! > 1 && dims[2]! > 1) return 'binaryMap';
  return 'values';
}

/** The output names to judge, in the model's own order (never an object's key order). */
export function selectOutputs(modelOutputs: readonly string[], selection: OutputSelection): string[] {
  if (selection === 'all') return [...modelOutputs];
  if (!selection || selection.length === 0) return modelOutputs.slice(0, 1);
  const unknown = selection.filter((n) => !modelOutputs.includes(n));
  if (unknown.length > 0) {
    throw new PipelineError('judged-output-unknown', `the model has no output ${unknown.map((n) => `"${n}"`).join(', ')}; its outputs are ${modelOutputs.map((n) => `"${n}"`).join(', ')}: choose among them (--output)`, { outputs: unknown.join(', ') });
  }
  return modelOutputs.filter((n) => selection.includes(n));
}

interface OutputStats { kind: OutputKind; maxAbs: number; dot: number; na: number; nb: number; inter: number; union: number; acc?: ConfusionMatrix }

/** Accumulates the agreement of named outputs over several inputs. */
export class AgreementMeter {
  private readonly stats = new Map<string, OutputStats>();
  constructor(private readonly threshold = 0.5, private readonly hints: ModelShapeHints = {}) {}

  add(name: string, reference: Float32Array, candidate: Float32Array, dims: readonly number[]): void {
    let s = this.stats.get(name);
    if (!s) {
      const kind = outputKind(dims, this.hints);
      s = { kind, maxAbs: 0, dot: 0, na: 0, nb: 0, inter: 0, union: 0, ...(kind === 'classMap' ? { acc: new ConfusionMatrix(dims[1]!) } : {}) };
      this.stats.set(name, s);
    }
    const threshold = this.threshold;
    for (let i = 0; i < reference.length; i++) {
      const x = reference[i]!;
      const y = candidate[i]!;
      s.maxAbs = Math.max(s.maxAbs, Math.abs(x - y));
      s.dot += x * y;
      s.na += x * x;
      s.nb += y * y;
      if (s.kind === 'binaryMap') {
        const px = x > threshold;
        const py = y > threshold;
        if (px && py) s.inter++;
        if (px || py) s.union++;
      }
    }
    if (s.kind === 'classMap') {
      const channels = dims[1]!;
      const pixels = dims[2]! * dims[3]!;
      for (let n = 0; n < dims[0]!; n++) {
        const offset = n * channels * pixels;
        s.acc!.add(
          argmaxClasses(reference.subarray(offset, offset + channels * pixels), channels, pixels, new Uint16Array(pixels)),
          argmaxClasses(candidate.subarray(offset, offset + channels * pixels), channels, pixels, new Uint16Array(pixels)),
        );
      }
    }
  }

  results(): OutputAgreement[] {
    return [...this.stats].map(([name, s]) => {
      const cosine = s.na === 0 && s.nb === 0 ? 1 : s.dot / Math.sqrt(s.na * s.nb);
      const iou = s.kind === 'classMap' ? s.acc!.meanIoU() ?? 1 : s.kind === 'binaryMap' ? (s.union === 0 ? 1 : s.inter / s.union) : undefined;
      const metric = s.kind === 'classMap' ? 'mIoU' : s.kind === 'binaryMap' ? 'IoU' : 'cosine';
      return { name, kind: s.kind, score: iou ?? cosine, metric, ...(iou !== undefined ? { iou } : {}), maxAbsDiff: s.maxAbs, cosine } as OutputAgreement;
    });
  }
}

/** The lowest score over the judged outputs: the number a target is held against. */
export function worstScore(agreements: OutputAgreement[]): number {
  return agreements.reduce((min, a) => Math.min(min, a.score), 1);
}
