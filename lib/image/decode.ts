// Encoded bytes → upright HWC uint8 pixels, with sharp (native, fast) or jimp (pure JS fallback).
// Both paths refuse the same inputs and return the same pixel layout and orientation.
import { PipelineError } from '../errors';
import { chooseLibrary, loadJimp, loadSharp, type DecoderChoice } from './libraries';
import { orientPixels, readOrientation } from './orientation';
import { describeBytes, headerDimensions, sniffFormat, type Dimensions, type ImageFormat } from './sniff';

export type AlphaMode = 'flatten' | 'keep';

export interface DecodeOptions {
  decoder: DecoderChoice;
  /** "flatten" composites onto `background` and returns RGB; "keep" always returns RGBA (alpha 255 when the image has none). */
  alpha: AlphaMode;
  background: [number, number, number];
  /** Largest width × height accepted, checked from the header before decoding. */
  maxPixels: number;
  /**
   * "refuse" fails on any decoder warning (damaged scan data decodes to garbage pixels); "tolerate" accepts the
   * minor flaws some phones and CCTV cameras write (extraneous bytes, odd SOS parameters) but still refuses
   * truncated files. Applies to sharp; jpeg-js (jimp) fails on the errors it detects either way.
   */
  damaged?: 'refuse' | 'tolerate';
}

export interface DecodedImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
  format: ImageFormat;
  orientation: number;
  decoder: 'sharp' | 'jimp';
}

const JIMP_FORMATS: ReadonlySet<ImageFormat> = new Set(['jpeg', 'png', 'gif', 'tiff']);

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}

function corrupt(format: ImageFormat, reason: string): PipelineError {
  return new PipelineError(
    'corrupt',
    `the ${format} image is damaged or cut short (${reason}); send a complete file`,
    { format, reason },
  );
}

function checkPixels(size: Dimensions | undefined, format: ImageFormat, maxPixels: number): Dimensions {
  if (!size || size.width <= 0 || size.height <= 0) throw corrupt(format, 'its header gives no valid size');
  const pixels = size.width * size.height;
  if (pixels > maxPixels) {
    const mp = (n: number) => (n >= 1e5 ? `${(n / 1e6).toFixed(1)} MP` : `${n} pixels`);
    throw new PipelineError(
      'too-many-pixels',
      `the image is ${size.width}x${size.height} (${mp(pixels)}), more than the limit of ${mp(maxPixels)}; raise "Max pixels" or send a smaller image`,
      { width: size.width, height: size.height, pixels: mp(pixels), limit: mp(maxPixels) },
    );
  }
  return size;
}

async function decodeWithSharp(bytes: Buffer, format: ImageFormat, options: DecodeOptions): Promise<DecodedImage> {
  const sharp = loadSharp();
  const header = headerDimensions(bytes, format);
  if (header) checkPixels(header, format, options.maxPixels);
  let metadata: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    metadata = await sharp(bytes).metadata();
  } catch (err) {
    throw corrupt(format, firstLine(err));
  }
  if (!header) checkPixels({ width: metadata.width ?? 0, height: metadata.height ?? 0 }, format, options.maxPixels);
  const orientation = metadata.orientation ?? 1;
  // libjpeg reports damaged scan data only as a warning, hence failOn 'warning' unless flaws are tolerated.
  const failOn = options.damaged === 'tolerate' ? 'truncated' : 'warning';
  let pipeline = sharp(bytes, { failOn, limitInputPixels: options.maxPixels, autoOrient: true })
    .toColourspace('srgb');
  pipeline = options.alpha === 'keep'
    ? pipeline.ensureAlpha()
    : pipeline.flatten({ background: { r: options.background[0], g: options.background[1], b: options.background[2] } }).removeAlpha();
  try {
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels as 3 | 4, format, orientation, decoder: 'sharp' };
  } catch (err) {
    throw corrupt(format, firstLine(err));
  }
}

/** RGBA → RGB composited onto a background colour, the way sharp's flatten does it. */
export function flattenRgba(rgba: Buffer, background: [number, number, number]): Buffer {
  const pixels = rgba.length / 4;
  const out = Buffer.allocUnsafe(pixels * 3);
  const [br, bg, bb] = background;
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    const a = rgba[i + 3]!;
    if (a === 255) {
      out[o] = rgba[i]!; out[o + 1] = rgba[i + 1]!; out[o + 2] = rgba[i + 2]!;
    } else {
      const rest = 255 - a;
      out[o] = Math.round((rgba[i]! * a + br * rest) / 255);
      out[o + 1] = Math.round((rgba[i + 1]! * a + bg * rest) / 255);
      out[o + 2] = Math.round((rgba[i + 2]! * a + bb * rest) / 255);
    }
  }
  return out;
}

/** jpeg-js, which jimp uses, decodes a JPEG cut short without complaint; a complete one ends with EOI (FF D9). */
function jpegLooksComplete(bytes: Buffer): boolean {
  const tail = bytes.subarray(Math.max(0, bytes.length - 4096));
  return tail.lastIndexOf(Buffer.from([0xff, 0xd9])) >= 0;
}

async function decodeWithJimp(bytes: Buffer, format: ImageFormat, options: DecodeOptions): Promise<DecodedImage> {
  if (!JIMP_FORMATS.has(format)) {
    throw new PipelineError(
      'jimp-format',
      `the pure-JS decoder (jimp) cannot read ${format}; use sharp (decoder "auto" or "sharp" where sharp loads) or send JPEG, PNG, GIF or TIFF`,
      { format },
    );
  }
  checkPixels(headerDimensions(bytes, format), format, options.maxPixels);
  if (format === 'jpeg' && !jpegLooksComplete(bytes)) throw corrupt(format, 'no end-of-image marker');
  const { Jimp } = loadJimp();
  let image: { bitmap: { data: Buffer; width: number; height: number } };
  try {
    // jpeg-js has its own size and memory guards; align them with ours.
    const jpegLimits = { maxResolutionInMP: options.maxPixels / 1e6, maxMemoryUsageInMB: Math.ceil((options.maxPixels * 4 * 2) / 2 ** 20) + 64 };
    image = await Jimp.fromBuffer(bytes, { 'image/jpeg': jpegLimits });
  } catch (err) {
    throw corrupt(format, firstLine(err));
  }
  // jimp turns JPEGs upright itself (EXIF via exif-parser, JPEG only); other formats are turned here.
  const orientation = readOrientation(bytes, format);
  let { data, width, height } = image.bitmap;
  if (format !== 'jpeg') ({ data, width, height } = orientPixels(data, width, height, 4, orientation));
  const pixels = options.alpha === 'keep' ? data : flattenRgba(data, options.background);
  return { data: pixels, width, height, channels: options.alpha === 'keep' ? 4 : 3, format, orientation, decoder: 'jimp' };
}

/** Decodes encoded image bytes; refuses non-images, oversized and damaged files with a PipelineError. */
export async function decodeImage(bytes: Buffer, options: DecodeOptions): Promise<DecodedImage> {
  if (bytes.length === 0) throw new PipelineError('empty', 'the image has zero bytes', { source: 'input' });
  const format = sniffFormat(bytes);
  if (!format) {
    const received = describeBytes(bytes);
    throw new PipelineError('not-an-image', `received ${received}, not an image; send JPEG, PNG, WebP, TIFF, GIF or AVIF`, { received });
  }
  return chooseLibrary(options.decoder) === 'sharp'
    ? decodeWithSharp(bytes, format, options)
    : decodeWithJimp(bytes, format, options);
}
