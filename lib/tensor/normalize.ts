// The hot loop: scaled HWC uint8 pixels → tensor elements, placing the scaled image at (padLeft, padTop)
// (padding outside it, cropping where it overhangs), reordering channels and normalising through a lookup table.
import type { TensorElementType, TensorLayout } from '../contract';
import type { ColorOrder, Triple } from './options';

export interface ScaledPixels {
  data: Uint8Array;
  width: number;
  height: number;
  /** Bytes per pixel: 3 (RGB) or 4 (RGBA, alpha ignored). */
  channels: number;
}

export interface Placement {
  width: number;
  height: number;
  padLeft: number;
  padTop: number;
}

export interface ElementMapping {
  type: TensorElementType;
  layout: TensorLayout;
  colorOrder: ColorOrder;
  scale: number;
  mean: Triple;
  std: Triple;
  padColor: Triple;
}

/** Per tensor channel, the element value for each pixel value 0…255 (identity for uint8). */
function lookupTables(mapping: ElementMapping): Float32Array[] | Uint8Array[] {
  const identity = Uint8Array.from({ length: 256 }, (_, v) => v);
  if (mapping.type === 'uint8') return [identity, identity, identity];
  return [0, 1, 2].map((c) => {
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = (v * mapping.scale - mapping.mean[c]!) / mapping.std[c]!;
    return table;
  });
}

/** Writes the tensor for `pixels` placed on a plane; returns the element array (Float32Array or Uint8Array). */
export function writeTensor(pixels: ScaledPixels, place: Placement, mapping: ElementMapping): Float32Array | Uint8Array {
  const { width, height, padLeft, padTop } = place;
  const plane = width * height;
  const out = mapping.type === 'uint8' ? new Uint8Array(plane * 3) : new Float32Array(plane * 3);
  const [lut0, lut1, lut2] = lookupTables(mapping) as Float32Array[];
  // Source channel feeding tensor channel 0, 1, 2.
  const [s0, s1, s2] = mapping.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  // Element index of (x, y, c) = (y * width + x) * pixelStep + c * channelStep.
  const pixelStep = mapping.layout === 'NCHW' ? 1 : 3;
  const channelStep = mapping.layout === 'NCHW' ? plane : 1;
  const o1 = channelStep;
  const o2 = 2 * channelStep;
  const pad = mapping.padColor;
  const pad0 = lut0![pad[s0]!]!;
  const pad1 = lut1![pad[s1]!]!;
  const pad2 = lut2![pad[s2]!]!;
  const src = pixels.data;
  const stride = pixels.channels;
  // Columns of the plane the scaled image covers.
  const x0 = Math.max(0, padLeft);
  const x1 = Math.min(width, padLeft + pixels.width);
  for (let y = 0; y < height; y++) {
    const sy = y - padTop;
    const covered = sy >= 0 && sy < pixels.height && x1 > x0;
    const rowStart = y * width;
    const first = covered ? x0 : width;
    const last = covered ? x1 : width;
    for (let x = 0, o = rowStart * pixelStep; x < first; x++, o += pixelStep) {
      out[o] = pad0; out[o + o1] = pad1; out[o + o2] = pad2;
    }
    let s = (sy * pixels.width + (first - padLeft)) * stride;
    for (let x = first, o = (rowStart + first) * pixelStep; x < last; x++, o += pixelStep, s += stride) {
      out[o] = lut0![src[s + s0]!]!;
      out[o + o1] = lut1![src[s + s1]!]!;
      out[o + o2] = lut2![src[s + s2]!]!;
    }
    for (let x = Math.max(first, last), o = (rowStart + x) * pixelStep; x < width; x++, o += pixelStep) {
      out[o] = pad0; out[o + o1] = pad1; out[o + o2] = pad2;
    }
  }
  return out;
}
