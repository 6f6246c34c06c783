// Turns a model output (NCHW, batch 1) into a class index per output pixel, in the output's own resolution.
import { outputNamesInModelOrder, typedView, type OutputTensor } from '../contract';
import { elementBytes, type ElementArray } from '../element-types';
import { PipelineError } from '../errors';
import { badSetting } from '../settings';
import { readSingleChannel, type SingleChannelReading, type SingleChannelSetting } from './activation';
import { argmaxClasses } from './metrics';

/** How a 1-channel output is read: raw logits (sigmoid applied) or values that are already probabilities. */
export type SingleChannelMode = 'sigmoid' | 'probability';

export interface DecodeOptions {
  /** `auto`: decided by readSingleChannel from the model's metadata, the output's name and its value range. */
  singleChannel: SingleChannelSetting;
  /** Probability at or below which a pixel of a 1-channel output is background (strictly above → class 1). */
  threshold: number;
}

/** Class index per pixel of the output plane, row-major. */
export interface ClassPlane {
  classes: Uint8Array;
  width: number;
  height: number;
  /** Number of classes the output distinguishes (2 for a 1-channel output). */
  classCount: number;
  /** For a 1-channel output: how its scores were read and why. */
  reading?: SingleChannelReading;
}

/** A class index must fit the uint8 class map; 255 channels is the most a map can hold (0…254). */
export const MAX_CLASSES = 255;

/** The configured output, else the model's first one. */
export function selectOutput(outputs: Record<string, OutputTensor>, name?: string, modelOrder?: readonly string[]): { name: string; output: OutputTensor } {
  const names = outputNamesInModelOrder(outputs, modelOrder);
  if (names.length === 0) {
    throw new PipelineError('no-outputs', 'msg.outputs has no model outputs: connect this node after mlops-infer.');
  }
  const chosen = name ? name : names[0]!;
  const output = outputs[chosen];
  if (!output) {
    throw new PipelineError(
      'unknown-output',
      `The model has no output "${chosen}"; available: ${names.join(', ')}. Change the output name in the node.`,
      { name: chosen, available: names.join(', ') },
    );
  }
  return { name: chosen, output };
}

/** Element types read as scores: those whose typed arrays hold plain numbers (not 64-bit integers, not half floats). */
const SCORE_TYPES = ['float32', 'float64', 'uint8', 'int8', 'bool', 'int16', 'uint16', 'int32', 'uint32'] as const;
type ScoreType = (typeof SCORE_TYPES)[number];
type NumericArray = ElementArray<ScoreType>;
const isScoreType = (type: string): type is ScoreType => (SCORE_TYPES as readonly string[]).includes(type);

function numericData(output: OutputTensor, outputName: string): NumericArray {
  const type = output.type;
  if (!isScoreType(type)) {
    throw new PipelineError(
      'unsupported-type',
      `Output "${outputName}" has element type ${type}, which this node cannot read as scores; use a model whose segmentation output is float32 logits or probabilities.`,
      { name: outputName, type },
    );
  }
  return typedView(output.data, type);
}

function checkShape(output: OutputTensor, outputName: string): { channels: number; height: number; width: number } {
  const dims = output.dims;
  const shape = `[${dims.join(', ')}]`;
  if (dims.length !== 4 || dims[0] !== 1 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new PipelineError(
      'bad-shape',
      `Output "${outputName}" has shape ${shape}; expected NCHW with batch 1, i.e. [1, classes, height, width]. Choose the model's segmentation output.`,
      { name: outputName, shape },
    );
  }
  const [, channels, height, width] = dims as [number, number, number, number];
  if (channels > MAX_CLASSES) {
    throw new PipelineError(
      'too-many-classes',
      `Output "${outputName}" has ${channels} channels; at most ${MAX_CLASSES} classes fit the class map. Choose the model's segmentation output.`,
      { name: outputName, channels, max: MAX_CLASSES },
    );
  }
  const elements = channels * height * width;
  const byteSize = elementBytes(output.type);
  if (output.data.length !== elements * byteSize) {
    throw new PipelineError(
      'data-size',
      `Output "${outputName}" holds ${output.data.length} bytes but shape ${shape} of ${output.type} needs ${elements * byteSize}; the output was changed on its way here.`,
      { name: outputName, shape, bytes: output.data.length, expected: elements * byteSize },
    );
  }
  return { channels, height, width };
}

export function checkDecodeOptions(options: DecodeOptions): void {
  // The node reads it with the settings toolkit; this guards the library API with the same wording.
  if (!(options.threshold > 0 && options.threshold < 1)) throw badSetting('threshold', 'number above 0 and below 1', options.threshold);
}

/** Argmax over channels (ties go to the lower class), or threshold of a single channel. */
export function decodeClassPlane(output: OutputTensor, outputName: string, options: DecodeOptions,
  metadata?: Record<string, string>): ClassPlane {
  checkDecodeOptions(options);
  const { channels, height, width } = checkShape(output, outputName);
  const scores = numericData(output, outputName);
  const plane = width * height;
  if (channels === 1) {
    const classes = new Uint8Array(plane);
    const reading = readSingleChannel(options.singleChannel, { outputName, metadata, scores });
    // sigmoid(x) > t  ⇔  x > logit(t): compare logits directly instead of exponentiating every pixel.
    const cut = reading.mode === 'sigmoid' ? Math.log(options.threshold / (1 - options.threshold)) : options.threshold;
    for (let i = 0; i < plane; i++) classes[i] = scores[i]! > cut ? 1 : 0;
    return { classes, width, height, classCount: 2, reading };
  }
  const classes = argmaxClasses(scores, channels, plane);
  return { classes, width, height, classCount: channels };
}
