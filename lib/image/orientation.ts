// EXIF orientation without a decoder: read the tag from the container, and turn pixels upright in JS
// for the pure-JS decoding path (sharp orients by itself).
import type { ImageFormat } from './sniff';

/** Orientation tag (1…8) of a TIFF structure starting at `start`, or 1 when absent. */
function tiffOrientation(b: Buffer, start: number): number {
  if (start + 8 > b.length) return 1;
  const order = b.toString('latin1', start, start + 2);
  if (order !== 'II' && order !== 'MM') return 1;
  const little = order === 'II';
  const u16 = (at: number) => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const ifd = start + (little ? b.readUInt32LE(start + 4) : b.readUInt32BE(start + 4));
  if (ifd + 2 > b.length) return 1;
  for (let i = 0, count = u16(ifd); i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > b.length) return 1;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

function jpegExifStart(b: Buffer): number | undefined {
  let at = 2;
  while (at + 4 < b.length && b[at] === 0xff) {
    const marker = b[at + 1]!;
    if (marker === 0xda || marker === 0xd9) return undefined;
    const length = b.readUInt16BE(at + 2);
    if (marker === 0xe1 && b.toString('latin1', at + 4, at + 10) === 'Exif\0\0') return at + 10;
    at += 2 + length;
  }
  return undefined;
}

/** Start of the TIFF structure in chunk `name` of a PNG (length, type, data, CRC) or RIFF (type, length, data) file. */
function chunkStart(b: Buffer, first: number, name: string, png: boolean): number | undefined {
  let at = first;
  while (at + 8 <= b.length) {
    const length = png ? b.readUInt32BE(at) : b.readUInt32LE(at + 4);
    const type = b.toString('latin1', png ? at + 4 : at, png ? at + 8 : at + 4);
    const dataStart = at + 8;
    if (type === name) return b.toString('latin1', dataStart, dataStart + 6) === 'Exif\0\0' ? dataStart + 6 : dataStart;
    // PNG chunks end with a 4-byte CRC; RIFF chunks are padded to an even length.
    at = dataStart + length + (png ? 4 : length % 2);
  }
  return undefined;
}

/** EXIF orientation (1…8) stored in the file, 1 when there is none or the format keeps it elsewhere (AVIF). */
export function readOrientation(bytes: Uint8Array, format: ImageFormat): number {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    let start: number | undefined;
    if (format === 'jpeg') start = jpegExifStart(b);
    else if (format === 'tiff') start = 0;
    else if (format === 'png') start = chunkStart(b, 8, 'eXIf', true);
    else if (format === 'webp') start = chunkStart(b, 12, 'EXIF', false);
    return start === undefined ? 1 : tiffOrientation(b, start);
  } catch {
    return 1; // a damaged EXIF block is not worth refusing an image for
  }
}

/**
 * Applies an EXIF orientation to HWC pixels: returns upright pixels and their size.
 * For each upright pixel (x, y) the stored pixel it comes from is computed once per row and column.
 */
export function orientPixels(
  data: Buffer, width: number, height: number, channels: number, orientation: number,
): { data: Buffer; width: number; height: number } {
  if (orientation <= 1 || orientation > 8) return { data, width, height };
  const swap = orientation >= 5;
  const outWidth = swap ? height : width;
  const outHeight = swap ? width : height;
  const out = Buffer.allocUnsafe(data.length);
  // Stored coordinates of upright (x, y): sx = ax*x + bx*y + cx, sy = ay*x + by*y + cy.
  const [ax, bx, cx, ay, by, cy] = ({
    2: [-1, 0, width - 1, 0, 1, 0],
    3: [-1, 0, width - 1, 0, -1, height - 1],
    4: [1, 0, 0, 0, -1, height - 1],
    5: [0, 1, 0, 1, 0, 0],
    6: [0, 1, 0, -1, 0, height - 1],
    7: [0, -1, width - 1, -1, 0, height - 1],
    8: [0, -1, width - 1, 1, 0, 0],
  } as Record<number, number[]>)[orientation]!;
  let target = 0;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const sx = ax! * x + bx! * y + cx!;
      const sy = ay! * x + by! * y + cy!;
      const source = (sy * width + sx) * channels;
      for (let c = 0; c < channels; c++) out[target++] = data[source + c]!;
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}
