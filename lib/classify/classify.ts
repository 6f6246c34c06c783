// Classifier output (logits or probabilities) → predictions {label, score, scores}, labels and threshold from the
// node's settings, else the model's metadata. Knows nothing of Node-RED; mlops-classify wraps it.
import { typedView, type OutputTensor, type Prediction } from '../contract';
import { PipelineError } from '../errors';
import { enumSetting, numberSetting, textSetting } from '../settings';
import { selectOutput } from '../segmentation/decode';
import { parseList } from '../segmentation/palette';

export type ScoreKind = 'auto' | 'logits' | 'probabilities';
export const SCORE_KINDS: readonly ScoreKind[] = ['auto', 'logits', 'probabilities'];

export interface ClassifySettings {
  /** Model output to read; empty = the first. */
  output: string;
  kind: ScoreKind;
  /** Empty = from metadata, else class0, class1, … */
  labels: string[];
  /** Binary models: the positive label wins when its probability is above this. Undefined = metadata, else 0.5. */
  threshold?: number;
}

/** What the model's metadata_props may say. */
export interface ClassifierMetadata { labels?: string; threshold?: string; output?: string; positive_label?: string }

export interface ResolvedClassifier {
  output: string;
  kind: 'logits' | 'probabilities' | 'auto';
  labels: string[];
  threshold: number;
  /** Index of the positive class of a binary model. */
  positive: number;
}

/** Labels as an array (metadata), JSON array text or a comma list. */
function labelsOf(value: unknown, what: string): string[] {
  if (Array.isArray(value)) return value.map((l) => String(l).trim());
  return parseList(typeof value === 'string' ? value : undefined, what).filter(Boolean);
}

/** Settings from the editor; labels and threshold fall back to the model when left empty. */
export function classifySettings(raw: Record<string, unknown>): ClassifySettings {
  return {
    output: textSetting(raw.output, 'output', ''),
    kind: enumSetting(raw.scores, 'scores', SCORE_KINDS, 'auto'),
    labels: labelsOf(raw.labels, 'labels'),
    threshold: numberSetting(raw.threshold, 'threshold', undefined, { min: 0, max: 1, exclusive: true }),
  };
}

export function resolveClassifier(settings: ClassifySettings, metadata: ClassifierMetadata = {}): ResolvedClassifier {
  const labels = settings.labels.length > 0 ? settings.labels : labelsOf(metadata.labels, "model's labels metadata");
  const fromMeta = metadata.threshold !== undefined ? Number(metadata.threshold) : undefined;
  const threshold = settings.threshold ?? (fromMeta !== undefined && fromMeta > 0 && fromMeta < 1 ? fromMeta : 0.5);
  const kind = settings.kind !== 'auto' ? settings.kind : metadata.output === 'logits' ? 'logits' : metadata.output === 'probabilities' ? 'probabilities' : 'auto';
  const positive = metadata.positive_label ? Math.max(0, labels.indexOf(metadata.positive_label)) : 1;
  return { output: settings.output, kind, labels, threshold, positive };
}

function softmax(row: number[]): number[] {
  const max = Math.max(...row);
  const exps = row.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Probabilities already: all within [0, 1] and (for several classes) summing to 1. */
function looksLikeProbabilities(row: number[]): boolean {
  if (!row.every((v) => v >= 0 && v <= 1)) return false;
  return row.length === 1 || Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-3;
}

function pickOutput(outputs: unknown, name: string, modelOrder?: readonly string[]): [string, OutputTensor] {
  if (!outputs || typeof outputs !== 'object') {
    throw new PipelineError('no-outputs', 'msg.outputs has no model outputs: connect this node after mlops-infer.');
  }
  const { name: outputName, output } = selectOutput(outputs as Record<string, OutputTensor>, name || undefined, modelOrder);
  if (!Buffer.isBuffer(output.data) || !Array.isArray(output.dims) || (output.type !== 'float32' && output.type !== 'float64')) {
    throw new PipelineError('bad-output', `msg.outputs["${outputName}"] is not a float32 model output ({ data: Buffer, type, dims }); connect this node after mlops-infer`,
      { name: outputName });
  }
  return [outputName, output];
}

/** One prediction per row of a [batch, classes] (or [batch]) output. */
/** `modelOrder`: the model's output names in its order (msg.outputNames), for "the first output". */
export function classify(outputs: unknown, classifier: ResolvedClassifier, modelOrder?: readonly string[]): Prediction[] {
  const [name, tensor] = pickOutput(outputs, classifier.output, modelOrder);
  const dims = tensor.dims;
  const classes = dims.length >= 2 ? dims[dims.length - 1]! : 1;
  const values = Array.from(typedView(tensor.data, tensor.type) as Float32Array | Float64Array);
  const rows = classes > 0 ? values.length / classes : 0;
  if (!Number.isInteger(rows) || rows < 1 || dims.length > 2) {
    throw new PipelineError('bad-shape', `output "${name}" has shape [${dims.join(',')}]; expected [batch, classes] scores of a classifier`,
      { name, shape: `[${dims.join(',')}]` });
  }
  const labels = classifier.labels.length > 0 ? classifier.labels : Array.from({ length: Math.max(2, classes) }, (_, i) => `class${i}`);
  if (labels.length !== Math.max(2, classes)) {
    throw new PipelineError('label-count', `output "${name}" has ${classes} classes but ${labels.length} labels are set (${labels.join(', ')}); give one label per class`,
      { name, classes, labels: labels.join(', ') });
  }
  const predictions: Prediction[] = [];
  for (let r = 0; r < rows; r++) {
    const row = values.slice(r * classes, (r + 1) * classes);
    const asProbabilities = classifier.kind === 'probabilities' || (classifier.kind === 'auto' && looksLikeProbabilities(row));
    // One column is the positive class's score: sigmoid for logits.
    const probabilities = classes === 1
      ? [1 - (asProbabilities ? row[0]! : sigmoid(row[0]!)), asProbabilities ? row[0]! : sigmoid(row[0]!)]
      : asProbabilities ? row : softmax(row);
    let index: number;
    if (probabilities.length === 2) {
      const positive = classifier.positive;
      index = probabilities[positive]! > classifier.threshold ? positive : 1 - positive;
    } else {
      index = probabilities.indexOf(Math.max(...probabilities));
    }
    const scores: Record<string, number> = {};
    labels.forEach((label, i) => { scores[label] = probabilities[i]!; });
    predictions.push({ label: labels[index]!, index, score: probabilities[index]!, scores });
  }
  return predictions;
}
