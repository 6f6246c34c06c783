// "Configure the pipeline from this model": what the model itself says about how to feed it and read it, turned into
// settings of the mlops-tensor, mlops-segment and mlops-classify nodes, and a list of what it does not say. Only
// what is decided is set; anything else keeps the node's value and is reported, with what the pipeline will assume.
import { isPipelineError } from '../errors';
import type { ModelInfo, TensorInfo } from '../onnx';
import { readSingleChannel } from '../segmentation/activation';
import { optionsFromMetadata, type PreprocessOptions } from '../tensor/options';

/** Where a decision came from: the model's shapes and types, its metadata, an output's name, a sample run, the user. */
export type Basis = 'model' | 'metadata' | 'card' | 'name' | 'sample' | 'answer';

export interface Decision { setting: string; value: string; basis: Basis }
export interface Undecided { setting: string; reason: string }
export type Question = 'size' | 'labels';

export interface ValueRange { min: number; max: number }

export interface PlanInput {
  info: ModelInfo;
  /** The model card's labels and where they came from (metadata, or a card / manifest next to the model). */
  labels: string[];
  labelsFrom: 'metadata' | 'card' | 'none';
  /** What the user entered when asked. */
  answers?: { width?: number; height?: number; labels?: string[] };
  /** Value range of outputs after one run on a sample picture. */
  sampleRanges?: Record<string, ValueRange>;
}

export interface PipelinePlan {
  /** Node properties to set, per node type (values as the editor stores them). */
  tensor: Record<string, string>;
  segment: Record<string, string>;
  classify: Record<string, string>;
  /** The class names the pipeline will use (for the condition's rules). */
  labels: string[];
  decided: Decision[];
  undecided: Undecided[];
  /** What the editor should ask the user for (and offers: suggestedLabels). */
  questions: Question[];
  suggestedLabels: string[];
  /** 1-channel outputs that neither metadata nor name decide: a sample run tells probabilities from logits. */
  sampleNeeded: string[];
  /** Pre-processing to run a sample picture through the model, when the size is known. */
  sampleOptions?: Partial<PreprocessOptions> & { width: number; height: number; name: string };
}

const list = (values: readonly number[]) => values.join(', ');

interface Accumulator extends PipelinePlan { decide(node: 'tensor' | 'segment' | 'classify' | undefined, setting: string, value: string, basis: Basis, shown?: string): void }

function emptyPlan(): Accumulator {
  const plan: Accumulator = {
    tensor: {}, segment: {}, classify: {}, labels: [], decided: [], undecided: [], questions: [], suggestedLabels: [], sampleNeeded: [],
    decide(node, setting, value, basis, shown) {
      if (node) plan[node][setting] = value;
      plan.decided.push({ setting, value: shown ?? value, basis });
    },
  };
  return plan;
}

function imageInput(info: ModelInfo): TensorInfo | undefined {
  return info.inputs.find((i) => i.dims.length === 4) ?? info.inputs[0];
}

/** The model's own hints, or the reason they cannot be used (a malformed metadata value). */
function metadataHints(info: ModelInfo, plan: Accumulator): Partial<PreprocessOptions> {
  try {
    return optionsFromMetadata(info.metadata);
  } catch (err) {
    plan.undecided.push({ setting: 'metadata', reason: isPipelineError(err) ? err.message : String(err) });
    return {};
  }
}

function planInput(input: PlanInput, plan: Accumulator): void {
  const { info } = input;
  const image = imageInput(info);
  if (!image) {
    plan.undecided.push({ setting: 'input', reason: 'the model has no inputs' });
    return;
  }
  if (info.inputs.length > 1) plan.decide('tensor', 'inputName', image.name, 'model');
  const dims = image.dims;
  if (dims.length !== 4) {
    plan.undecided.push({ setting: 'input', reason: `input "${image.name}" has shape [${dims.map((d) => d ?? '?').join(', ')}]: not an image (4 dimensions); mlops-tensor cannot feed it` });
    return;
  }
  const hints = metadataHints(info, plan);
  const declared = String(info.metadata.layout ?? '').toUpperCase();
  const layout = dims[1] === 3 ? 'NCHW' : dims[3] === 3 ? 'NHWC' : declared === 'NCHW' || declared === 'NHWC' ? declared : undefined;
  if (!layout) {
    plan.undecided.push({ setting: 'layout', reason: `input "${image.name}" has no fixed 3-channel dimension and no layout metadata; the tensor node guesses (NCHW unless dimension 1 is not 1 or 3)` });
  } else {
    plan.decide('tensor', 'layout', layout, dims[1] === 3 || dims[3] === 3 ? 'model' : 'metadata');
  }
  const [rows, columns] = (layout ?? 'NCHW') === 'NCHW' ? [dims[2], dims[3]] : [dims[1], dims[2]];
  let size: { width: number; height: number } | undefined;
  if (typeof rows === 'number' && typeof columns === 'number') {
    size = { width: columns, height: rows };
    // Empty: the node takes the model's fixed size (and so follows a new model version).
    plan.decide(undefined, 'size', `${columns}x${rows}`, 'model');
    Object.assign(plan.tensor, { width: '', height: '' });
  } else if (hints.width && hints.height) {
    size = { width: hints.width, height: hints.height };
    plan.decide(undefined, 'size', `${hints.width}x${hints.height}`, 'metadata');
    Object.assign(plan.tensor, { width: '', height: '' });
  } else if (input.answers?.width && input.answers.height) {
    size = { width: input.answers.width, height: input.answers.height };
    plan.decide(undefined, 'size', `${size.width}x${size.height}`, 'answer');
    Object.assign(plan.tensor, { width: String(size.width), height: String(size.height) });
  } else {
    plan.questions.push('size');
    plan.undecided.push({ setting: 'size', reason: `the model's height and width are free ([${dims.map((d) => d ?? '?').join(', ')}]) and its metadata has no input_size: enter the picture size the model was trained on` });
  }
  plan.decide('tensor', 'dataType', image.type === 'uint8' ? 'uint8' : 'float32', 'model');
  if (hints.colorOrder) plan.decide('tensor', 'colorOrder', hints.colorOrder, 'metadata');
  else plan.undecided.push({ setting: 'colorOrder', reason: 'no color_order in the metadata: RGB is assumed (most exports); set BGR for OpenCV-trained models' });
  const normalised = hints.mean || hints.std || hints.scale !== undefined;
  if (hints.mean) plan.decide('tensor', 'mean', list(hints.mean), 'metadata');
  if (hints.std) plan.decide('tensor', 'std', list(hints.std), 'metadata');
  if (hints.scale !== undefined) plan.decide('tensor', 'scale', String(hints.scale), 'metadata');
  if (!normalised && image.type !== 'uint8') {
    plan.undecided.push({ setting: 'mean/std', reason: 'no mean, std or scale in the metadata: pixels are scaled to 0…1 without normalisation; ImageNet-trained models need mean 0.485, 0.456, 0.406 and std 0.229, 0.224, 0.225' });
  }
  if (size) plan.sampleOptions = { ...hints, ...size, name: image.name, ...(layout ? { layout } : {}), type: image.type === 'uint8' ? 'uint8' : 'float32' };
}

function planLabels(input: PlanInput, plan: Accumulator, node: 'segment' | 'classify', classes: number | undefined): void {
  const fitsClasses = (labels: string[]) => classes === undefined || labels.length === classes || (classes === 1 && labels.length <= 2);
  const count = classes === 1 ? 2 : classes;
  if (input.labels.length) {
    if (!fitsClasses(input.labels)) {
      plan.undecided.push({ setting: 'labels', reason: `the model has ${input.labels.length} labels but its output has ${classes} classes; check the labels` });
      return;
    }
    plan.labels = classes === 1 && input.labels.length === 1 ? ['background', input.labels[0]!] : input.labels;
    // From the metadata: empty, so the node reads them from the model; from a card: written into the node.
    plan.decide(node, 'labels', input.labelsFrom === 'metadata' ? '' : input.labels.join(', '), input.labelsFrom === 'metadata' ? 'metadata' : 'card', input.labels.join(', '));
    return;
  }
  plan.suggestedLabels = count === 2 && classes === 1 ? ['background', 'object'] : Array.from({ length: count ?? 0 }, (_, i) => `class${i}`);
  const answered = input.answers?.labels?.map((l) => l.trim()).filter(Boolean);
  if (answered?.length) {
    if (!fitsClasses(answered)) {
      plan.questions.push('labels');
      plan.undecided.push({ setting: 'labels', reason: `${answered.length} labels were entered but the output has ${classes} classes` });
      return;
    }
    plan.labels = classes === 1 && answered.length === 1 ? ['background', answered[0]!] : answered;
    plan.decide(node, 'labels', answered.join(', '), 'answer');
    return;
  }
  plan.questions.push('labels');
  plan.labels = plan.suggestedLabels;
  plan.undecided.push({ setting: 'labels', reason: `the model has no labels: the classes are called ${plan.suggestedLabels.join(', ') || 'class0, class1, …'}; enter their names` });
}

function planOutputs(input: PlanInput, plan: Accumulator): void {
  const { info } = input;
  const mapOutput = info.outputs.find((o) => o.dims.length === 4 || o.dims.length === 3);
  const scoreOutput = info.outputs.find((o) => o.dims.length === 2);
  if (mapOutput) {
    if (info.outputs.length > 1) plan.decide('segment', 'output', mapOutput.name, 'model');
    const classes = mapOutput.dims.length === 4 && typeof mapOutput.dims[1] === 'number' ? mapOutput.dims[1] : mapOutput.dims.length === 3 ? 1 : undefined;
    if (classes === 1) planSingleChannel(input, plan, mapOutput.name);
    planLabels(input, plan, 'segment', classes);
  } else if (scoreOutput) {
    if (info.outputs.length > 1) plan.decide('classify', 'output', scoreOutput.name, 'model');
    planLabels(input, plan, 'classify', typeof scoreOutput.dims[1] === 'number' ? scoreOutput.dims[1] : undefined);
  } else {
    plan.undecided.push({ setting: 'outputs', reason: 'no output looks like a class map ([1, C, H, W]) or class scores ([N, C]); set up the post-processing by hand' });
  }
}

function planSingleChannel(input: PlanInput, plan: Accumulator, output: string): void {
  const range = input.sampleRanges?.[output];
  const reading = readSingleChannel('auto', { outputName: output, metadata: input.info.metadata, scores: range ? [range.min, range.max] : [] });
  const value = reading.mode === 'probability' ? 'probability' : 'sigmoid';
  if (reading.basis === 'metadata' || reading.basis === 'name') {
    plan.decide('segment', 'singleChannel', value, reading.basis, reading.mode === 'probability' ? 'probabilities' : 'logits');
  } else if (range) {
    plan.decide('segment', 'singleChannel', value, 'sample',
      `${reading.mode === 'probability' ? 'probabilities' : 'logits'} (values ${range.min.toPrecision(3)} … ${range.max.toPrecision(3)})`);
  } else {
    plan.sampleNeeded.push(output);
    plan.undecided.push({ setting: 'singleChannel', reason: `1-channel output "${output}": neither the metadata (single_channel) nor the name say whether it holds probabilities or logits, and no sample run was possible; the segment node decides on its first picture` });
  }
}

export function planFromModel(input: PlanInput): PipelinePlan {
  const plan = emptyPlan();
  planInput(input, plan);
  planOutputs(input, plan);
  const { decide: _decide, ...result } = plan;
  return result;
}

/** The user's answers as a request carries them: whole sizes 1…16384, up to 1024 string labels; anything else is ignored. */
export function planAnswers(raw: unknown): PlanInput['answers'] {
  const answers = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const size = (v: unknown) => {
    const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : NaN;
    return Number.isInteger(n) && n > 0 && n <= 16384 ? n : undefined;
  };
  const labels = Array.isArray(answers.labels) ? answers.labels.filter((l): l is string => typeof l === 'string').slice(0, 1024) : undefined;
  return { width: size(answers.width), height: size(answers.height), ...(labels ? { labels } : {}) };
}
