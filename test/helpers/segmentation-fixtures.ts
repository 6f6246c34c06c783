// Hand-built model outputs and pictures for the segmentation tests.
import { bufferOf, type ImageData, type OutputTensor, type TensorGeometry } from '../../lib/contract';

export function floatOutput(values: number[], dims: number[]): OutputTensor {
  return { data: bufferOf(new Float32Array(values)), type: 'float32', dims };
}

/**
 * Logits [1, C, H, W] whose argmax is the given class map: the winning class scores `win`, the others
 * descending values below it, so argmax has to compare every channel.
 */
export function logitsFor(classMap: number[], classCount: number, width: number, height: number): OutputTensor {
  const plane = width * height;
  const values = new Array<number>(classCount * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < classCount; c++) values[c * plane + i] = c === classMap[i] ? 2.5 + (i % 3) : -1 - c - (i % 2);
  }
  return floatOutput(values, [1, classCount, height, width]);
}

/** A solid RGB picture. */
export function solidImage(width: number, height: number, rgb: [number, number, number]): ImageData {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { data, width, height, channels: 3, format: 'png', encoded: Buffer.alloc(0), source: 'buffer', orientation: 1, decoder: 'sharp' };
}

export function geometry(values: Omit<TensorGeometry, 'resize'> & { resize?: TensorGeometry['resize'] }): TensorGeometry {
  return { resize: 'fill', ...values };
}
