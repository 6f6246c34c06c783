// Pictures with known quality figures and segmentation results with known class counts.
import type { ImageData, SegmentationResult } from '../../lib/contract';

/** An RGB image whose pixel (x, y) has grey value f(x, y). */
export function greyPicture(width: number, height: number, f: (x: number, y: number) => number): ImageData {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(f(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { data, width, height, channels: 3, format: 'png', encoded: Buffer.alloc(0), source: 'buffer', orientation: 1, decoder: 'sharp' };
}

/** 1-pixel checkerboard of 0 and 255: Laplacian ±1020 on every interior pixel. */
export const checkerboard = greyPicture(32, 32, (x, y) => ((x + y) % 2 ? 255 : 0));

/** 100 × 100 picture with the given pixel counts per class; the rest is background. */
export function segmentation(counts: Partial<Record<'tower' | 'cable' | 'rust', number>>): SegmentationResult {
  const labels = ['background', 'tower', 'cable', 'rust'];
  const pixels = labels.map((l) => (counts as Record<string, number>)[l] ?? 0);
  pixels[0] = 10000 - pixels.reduce((a, b) => a + b, 0);
  return {
    classMap: Buffer.alloc(0), width: 100, height: 100, labels, colors: [],
    classes: labels.map((label, index) => ({ index, label, color: '#000000', pixels: pixels[index]!, ratio: pixels[index]! / 10000 })),
    components: [],
  };
}
