// Where an image lands in the tensor (resize mode, scale, padding) and what size the model wants.
import type { TensorElementType, TensorGeometry, TensorLayout } from '../contract';
import { PipelineError } from '../errors';
import type { ModelInfo } from '../onnx';

export type ResizeMode = TensorGeometry['resize'];
export const RESIZE_MODES: readonly ResizeMode[] = ['fill', 'contain', 'cover'];

/**
 * Plans the mapping of a source image onto a width × height tensor plane.
 * fill: stretch to the plane; contain: fit inside and pad (letterbox), centred; cover: fill and crop the centre.
 * The scaled image is (scaledWidth × scaledHeight) placed at (padLeft, padTop), negative offsets being a crop;
 * scale factors are those of the actual scaled size, so source x = (tensor x − padLeft) / scaleX exactly.
 */
export function planGeometry(
  sourceWidth: number, sourceHeight: number, width: number, height: number, resize: ResizeMode,
): TensorGeometry & { scaledWidth: number; scaledHeight: number } {
  let scaledWidth = width;
  let scaledHeight = height;
  if (resize !== 'fill') {
    const pick = resize === 'contain' ? Math.min : Math.max;
    const factor = pick(width / sourceWidth, height / sourceHeight);
    scaledWidth = Math.max(1, Math.round(sourceWidth * factor));
    scaledHeight = Math.max(1, Math.round(sourceHeight * factor));
    // Rounding must not push a letterboxed side over, nor a cropped side under, the plane.
    if (resize === 'contain') { scaledWidth = Math.min(scaledWidth, width); scaledHeight = Math.min(scaledHeight, height); }
    else { scaledWidth = Math.max(scaledWidth, width); scaledHeight = Math.max(scaledHeight, height); }
  }
  return {
    sourceWidth, sourceHeight, width, height,
    scaleX: scaledWidth / sourceWidth,
    scaleY: scaledHeight / sourceHeight,
    padLeft: Math.trunc((width - scaledWidth) / 2),
    padTop: Math.trunc((height - scaledHeight) / 2),
    resize,
    scaledWidth,
    scaledHeight,
  };
}

export interface ModelInputGeometry {
  /** Input name to feed. */
  name: string;
  layout: TensorLayout;
  width: number;
  height: number;
  /** Element type the model expects (uint8 inputs get uint8 tensors, everything else float32). */
  type: TensorElementType;
}

export interface ModelInputSelection {
  /** Input to use; the first input when absent. */
  inputName?: string;
  /** Explicitly configured plane size; required when the model's spatial dimensions are symbolic. */
  width?: number;
  height?: number;
}

const dimText = (d: number | string | null) => (d === null ? '?' : String(d));

/**
 * Target geometry of a model input: layout (NCHW when dims[1] is 1 or 3, else NHWC, unless given),
 * width and height from the fixed dims or the explicit size.
 */
export function inputGeometryFromModel(
  info: ModelInfo, layout: TensorLayout | 'auto' = 'auto', selection: ModelInputSelection = {},
): ModelInputGeometry {
  const input = selection.inputName ? info.inputs.find((i) => i.name === selection.inputName) : info.inputs[0];
  if (!input) {
    const names = info.inputs.map((i) => i.name).join(', ') || 'none';
    if (!selection.inputName) throw new PipelineError('no-inputs', 'the model has no inputs to feed an image to', {});
    throw new PipelineError('unknown-input', `the model has no input named "${selection.inputName}" (inputs: ${names}); correct "Input name"`, { input: selection.inputName, inputs: names });
  }
  const dims = input.dims;
  const shape = `[${dims.map(dimText).join(', ')}]`;
  if (dims.length !== 4) {
    throw new PipelineError('model-input-rank', `model input "${input.name}" has shape ${shape}; an image input needs 4 dimensions (NCHW or NHWC)`, { input: input.name, shape });
  }
  const resolved: TensorLayout = layout !== 'auto' ? layout : dims[1] === 1 || dims[1] === 3 ? 'NCHW' : 'NHWC';
  const [channels, rows, columns] = resolved === 'NCHW' ? [dims[1], dims[2], dims[3]] : [dims[3], dims[1], dims[2]];
  if (typeof channels === 'number' && channels !== 3) {
    throw new PipelineError('model-channels', `model input "${input.name}" has shape ${shape}: ${channels} channels in ${resolved} layout; only 3-channel (RGB/BGR) inputs are supported — check "Layout"`, { input: input.name, shape, channels, layout: resolved });
  }
  if (typeof dims[0] === 'number' && dims[0] !== 1) {
    throw new PipelineError('model-batch', `model input "${input.name}" has a fixed batch size of ${dims[0]}; one image makes a batch of 1`, { input: input.name, batch: dims[0] });
  }
  const explicit = selection.width !== undefined && selection.height !== undefined;
  if (typeof rows === 'number' && typeof columns === 'number') {
    if (explicit && (selection.width !== columns || selection.height !== rows)) {
      throw new PipelineError('size-conflict', `model input "${input.name}" expects ${columns}x${rows} but the node is set to ${selection.width}x${selection.height}; clear width and height to use the model's size`, { input: input.name, expected: `${columns}x${rows}`, configured: `${selection.width}x${selection.height}` });
    }
    return { name: input.name, layout: resolved, width: columns, height: rows, type: input.type === 'uint8' ? 'uint8' : 'float32' };
  }
  if (!explicit) {
    throw new PipelineError('symbolic-size', `model input "${input.name}" has shape ${shape}: its height and width are not fixed; set width and height on the node`, { input: input.name, shape });
  }
  return { name: input.name, layout: resolved, width: selection.width!, height: selection.height!, type: input.type === 'uint8' ? 'uint8' : 'float32' };
}
