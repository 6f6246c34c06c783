// Editor previews: a picture shrunk to a small JPEG data URL (a few KiB), cheap to send to every open editor.
import { trySharp } from '../image/libraries';

/** Raw pixels as mlops-image writes them (HWC uint8), or an encoded picture (the segment overlay). */
export type PictureSource =
  | { data: Buffer; width: number; height: number; channels: 3 | 4 }
  | { encoded: Buffer };

export interface Thumbnail {
  /** `data:image/jpeg;base64,…` */
  dataUrl: string;
  width: number;
  height: number;
  /** Size of the JPEG in bytes. */
  bytes: number;
}

export interface ThumbnailOptions {
  /** Longest side in pixels (default 160). */
  maxSide?: number;
  /** Bytes the JPEG may take (default 12 KiB); a busier picture is encoded again at a lower quality. */
  maxBytes?: number;
}

export const THUMBNAIL_DEFAULTS = { maxSide: 160, maxBytes: 12 * 1024 } as const;
const QUALITIES = [70, 45, 25];

/** Whether thumbnails can be made on this device (they need sharp; without it previews are off). */
export function thumbnailsAvailable(): boolean {
  return trySharp().module !== undefined;
}

/** Shrinks `source` to fit `maxSide` (never enlarges) and encodes it as a JPEG of at most `maxBytes`. */
export async function makeThumbnail(source: PictureSource, options: ThumbnailOptions = {}): Promise<Thumbnail> {
  const sharp = trySharp().module;
  // The nodes check thumbnailsAvailable() first and say so once; this is never a message's failure.
  if (!sharp) throw new Error(`previews need sharp, which cannot be loaded on this device (${trySharp().error?.message.split('\n')[0] ?? ''})`);
  const maxSide = options.maxSide ?? THUMBNAIL_DEFAULTS.maxSide;
  const maxBytes = options.maxBytes ?? THUMBNAIL_DEFAULTS.maxBytes;
  const input = 'encoded' in source
    ? sharp(source.encoded, { limitInputPixels: false })
    : sharp(source.data, { raw: { width: source.width, height: source.height, channels: source.channels } });
  // Shrunk once to raw pixels; only the JPEG step is repeated for a busy picture.
  const small = await input
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { width: small.info.width, height: small.info.height, channels: small.info.channels };
  let jpeg: Buffer | undefined;
  for (const quality of QUALITIES) {
    jpeg = await sharp(small.data, { raw }).jpeg({ quality, mozjpeg: false }).toBuffer();
    if (jpeg.length <= maxBytes) break;
  }
  return { dataUrl: `data:image/jpeg;base64,${jpeg!.toString('base64')}`, width: raw.width, height: raw.height, bytes: jpeg!.length };
}
