// Pre-processing: msg.image (HWC uint8 pixels) → msg.tensor, usable without Node-RED.
import { bufferOf, type ImageData, type TensorData } from '../contract';
import { PipelineError } from '../errors';
import { chooseLibrary } from '../image/libraries';
import { planGeometry } from './geometry';
import { writeTensor } from './normalize';
import type { PreprocessOptions } from './options';
import { resizePixels } from './resize';

export * from './geometry';
export * from './options';
export * from './normalize';
export * from './resize';

/** The parts of msg.image pre-processing reads. */
export type PixelImage = Pick<ImageData, 'data' | 'width' | 'height' | 'channels'>;

/** Refuses anything that is not HWC uint8 pixels with 3 or 4 channels, saying what was received. */
export function checkPixelImage(image: unknown): asserts image is PixelImage {
  if (image === undefined || image === null || typeof image !== 'object') {
    throw new PipelineError('no-image', 'msg.image is missing; put an mlops-image node before this one', {});
  }
  const { data, width, height, channels } = image as { data?: unknown; width?: number; height?: number; channels?: number };
  if (!(data instanceof Uint8Array)) {
    throw new PipelineError('bad-image', 'msg.image.data is not a Buffer of pixels; msg.image must come from an mlops-image node', { reason: 'data is not a Buffer' });
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width! <= 0 || height! <= 0) {
    throw new PipelineError('zero-size', `msg.image is ${width}x${height}; width and height must be positive whole numbers`, { width: String(width), height: String(height) });
  }
  if (channels !== 3 && channels !== 4) {
    throw new PipelineError('bad-channels', `msg.image has ${channels} channels; pre-processing needs 3 (RGB) or 4 (RGBA)`, { channels: String(channels) });
  }
  if (data.length !== width! * height! * channels) {
    throw new PipelineError('bad-image', `msg.image.data holds ${data.length} bytes but ${width}x${height}x${channels} needs ${width! * height! * channels}`, { reason: `${data.length} bytes for ${width}x${height}x${channels}` });
  }
}

/** The whole image → tensor step: resize (sharp or jimp), place (fill/contain/cover), normalise into a Buffer. */
export async function imageToTensor(image: PixelImage, options: PreprocessOptions): Promise<TensorData> {
  checkPixelImage(image);
  const geometry = planGeometry(image.width, image.height, options.width, options.height, options.resize);
  const { scaledWidth, scaledHeight, ...recorded } = geometry;
  const scaled = await resizePixels(image, scaledWidth, scaledHeight, chooseLibrary(options.resizer));
  const elements = writeTensor(scaled, geometry, options);
  const dims = options.layout === 'NCHW' ? [1, 3, options.height, options.width] : [1, options.height, options.width, 3];
  const tensor: TensorData = {
    data: bufferOf(elements),
    type: options.type,
    dims,
    layout: options.layout,
    colorOrder: options.colorOrder,
    geometry: recorded,
  };
  if (options.name !== undefined) tensor.name = options.name;
  return tensor;
}
