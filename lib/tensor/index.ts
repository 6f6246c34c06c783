// Pre-processing: msg.image (HWC uint8 pixels) → msg.tensor, usable without Node-RED.
import { assertImage, bufferOf, type ImagePixels, type TensorData } from '../contract';
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
export type PixelImage = ImagePixels;

/** The whole image → tensor step: resize (sharp or jimp), place (fill/contain/cover), normalise into a Buffer. */
export async function imageToTensor(image: PixelImage, options: PreprocessOptions): Promise<TensorData> {
  assertImage(image);
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
