// Scales raw HWC pixels to the planned size: sharp (native, fast path) or jimp (pure JS fallback).
// sharp's linear kernel and jimp's default resampler (area-averaging when shrinking) agree within a few levels,
// unlike jimp's point-sampled BILINEAR mode; cropping and padding happen afterwards in the normalisation loop.
import { loadJimp, loadSharp } from '../image/libraries';
import type { ScaledPixels } from './normalize';

/** RGB copy of RGBA pixels (alpha dropped before resampling so both libraries resample the same values). */
function withoutAlpha(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe((data.length / 4) * 3);
  for (let i = 0, o = 0; i < data.length; i += 4, o += 3) {
    out[o] = data[i]!; out[o + 1] = data[i + 1]!; out[o + 2] = data[i + 2]!;
  }
  return out;
}

/** RGBA copy of RGB pixels, alpha 255: jimp's bitmaps are always RGBA. */
function withAlpha(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe((data.length / 3) * 4);
  for (let i = 0, o = 0; i < data.length; i += 3, o += 4) {
    out[o] = data[i]!; out[o + 1] = data[i + 1]!; out[o + 2] = data[i + 2]!; out[o + 3] = 255;
  }
  return out;
}

export async function resizeWithSharp(pixels: ScaledPixels, width: number, height: number): Promise<ScaledPixels> {
  const sharp = loadSharp();
  const rgb = pixels.channels === 4 ? withoutAlpha(pixels.data) : pixels.data;
  const data = await sharp(rgb, { raw: { width: pixels.width, height: pixels.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { data, width, height, channels: 3 };
}

export function resizeWithJimp(pixels: ScaledPixels, width: number, height: number): ScaledPixels {
  const { Jimp } = loadJimp();
  const rgba = pixels.channels === 4 ? pixels.data : withAlpha(pixels.data);
  // jimp 1.6 fromBitmap wraps data.buffer whole, ignoring a view's byteOffset: hand it memory it owns entirely.
  const owned = rgba.byteOffset === 0 && rgba.byteLength === rgba.buffer.byteLength ? rgba : new Uint8Array(rgba);
  const image = Jimp.fromBitmap({ data: owned, width: pixels.width, height: pixels.height });
  image.resize({ w: width, h: height });
  return { data: image.bitmap.data, width, height, channels: 4 };
}

/** Pixels at width × height (the input itself when it already has that size). */
export async function resizePixels(
  pixels: ScaledPixels, width: number, height: number, library: 'sharp' | 'jimp',
): Promise<ScaledPixels> {
  if (pixels.width === width && pixels.height === height) return pixels;
  return library === 'sharp' ? resizeWithSharp(pixels, width, height) : resizeWithJimp(pixels, width, height);
}
