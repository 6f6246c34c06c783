// Segmentation post-processing: model output → class map on the original picture, statistics, components, overlay.
import type { ClassStat, ImageData, SegmentationResult, TensorGeometry } from '../contract';
import { assertImage, assertOutputs, bufferOf } from '../contract';
import { PipelineError } from '../errors';
import { findComponents, countPixels, type ComponentOptions } from './components';
import type { SingleChannelReading } from './activation';
import { decodeClassPlane, selectOutput, type DecodeOptions } from './decode';
import { renderOverlay, type LegendEntry, type OverlayOptions } from './overlay';
import { nameClasses } from './palette';
import { backProject, wholeImageGeometry } from './project';

export * from './activation';
export * from './components';
export * from './decode';
export * from './overlay';
export * from './metrics';
export * from './palette';
export * from './project';

export interface SegmentOptions extends DecodeOptions, ComponentOptions {
  /** Model output to read; the first output when empty. */
  outputName?: string;
  /** Configured names and colours (empty: model metadata, else defaults). */
  labels: string[];
  colors: string[];
  /** Render an overlay when set. */
  overlay?: OverlayOptions;
}

export interface SegmentInput {
  outputs: unknown;
  geometry?: TensorGeometry;
  image?: ImageData;
  /** metadata_props of the model that produced the outputs. */
  metadata?: Record<string, string>;
  /** The model's output names in its own order (msg.outputNames, else the model's info): "the first output". */
  outputOrder?: readonly string[];
}

/** One box in the format of node-red-node-annotate-image. */
export interface Annotation {
  type: 'rect';
  bbox: [number, number, number, number];
  label: string;
  stroke: string;
  lineWidth: number;
}

export interface Segmentation {
  result: SegmentationResult;
  annotations: Annotation[];
  outputName: string;
  /** For a 1-channel output: how it was read and why (a setting that contradicts the evidence is flagged). */
  reading?: SingleChannelReading;
}

/**
 * The geometry that maps the original picture into the output. Without msg.tensor.geometry the tensor is taken to be
 * a plain resize ("fill") of the whole of msg.image; without msg.image either, the class map stays at output size.
 */
function resolveGeometry(input: SegmentInput, planeWidth: number, planeHeight: number): TensorGeometry {
  const { geometry, image } = input;
  if (!geometry) {
    return image
      ? wholeImageGeometry(image.width, image.height, planeWidth, planeHeight)
      : wholeImageGeometry(planeWidth, planeHeight, planeWidth, planeHeight);
  }
  if (image && (image.width !== geometry.sourceWidth || image.height !== geometry.sourceHeight)) {
    throw new PipelineError(
      'image-mismatch',
      `msg.image is ${image.width}×${image.height} but the tensor was made from a ${geometry.sourceWidth}×${geometry.sourceHeight} picture; keep msg.image and msg.tensor from the same picture.`,
      { image: `${image.width}×${image.height}`, source: `${geometry.sourceWidth}×${geometry.sourceHeight}` },
    );
  }
  return geometry;
}

function classStats(classMap: Uint8Array, labels: string[], colors: string[]): ClassStat[] {
  const counts = countPixels(classMap, labels.length);
  const total = classMap.length || 1;
  return labels.map((label, index) => ({ index, label, color: colors[index]!, pixels: counts[index]!, ratio: counts[index]! / total }));
}

/** Classes present in the picture, largest first, background only if included. */
export function presentClasses(classes: ClassStat[], includeBackground: boolean): ClassStat[] {
  return classes.filter((c) => c.pixels > 0 && (c.index > 0 || includeBackground)).sort((a, b) => b.pixels - a.pixels || a.index - b.index);
}

export async function segment(input: SegmentInput, options: SegmentOptions): Promise<Segmentation> {
  assertOutputs(input.outputs);
  const { name, output } = selectOutput(input.outputs, options.outputName, input.outputOrder);
  if (input.image) assertImage(input.image);
  if (options.overlay && !input.image) {
    throw new PipelineError('no-image', 'The overlay needs the original picture in msg.image, which is missing; keep msg.image from mlops-image or turn the overlay off.');
  }
  const plane = decodeClassPlane(output, name, options, input.metadata);
  const geometry = resolveGeometry(input, plane.width, plane.height);
  const classMap = backProject(plane, geometry);
  const width = Math.round(geometry.sourceWidth);
  const height = Math.round(geometry.sourceHeight);
  const { labels, colors } = nameClasses(plane.classCount, { labels: options.labels, colors: options.colors, metadata: input.metadata });
  const classes = classStats(classMap, labels, colors);
  const components = findComponents(classMap, width, height, options).map((c) => ({ ...c, label: labels[c.classIndex]! }));
  const result: SegmentationResult = { classMap: bufferOf(classMap), width, height, labels, colors, classes, components, output: name };
  if (plane.reading) result.singleChannel = plane.reading.mode;
  if (options.overlay) {
    const legend: LegendEntry[] = presentClasses(classes, options.includeBackground).map((c) => ({ label: c.label, color: c.color, ratio: c.ratio }));
    result.overlay = await renderOverlay(input.image!, classMap, colors, legend, options.overlay);
    result.overlayFormat = options.overlay.format;
  }
  const lineWidth = Math.max(2, Math.round(Math.min(width, height) / 200));
  const annotations = components.map((c): Annotation => ({ type: 'rect', bbox: c.bbox, label: c.label, stroke: colors[c.classIndex]!, lineWidth }));
  return { result, annotations, outputName: name, reading: plane.reading };
}
