// Recognises image formats from their first bytes and reads the pixel size from the header,
// so oversized images are refused before any decoder allocates memory for them.

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif' | 'avif';

export interface Dimensions {
  width: number;
  height: number;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.max(0, Math.min(length, bytes.length - start)))
    .toString('latin1');
}

/** ISO base media brand (AVIF, HEIC) from an ftyp box at the start, if there is one. */
function isoBrand(bytes: Uint8Array): string | undefined {
  return bytes.length >= 12 && ascii(bytes, 4, 4) === 'ftyp' ? ascii(bytes, 8, 4) : undefined;
}

/** The accepted image format these bytes start with, or undefined. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length < 4) return undefined;
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  const tiffMagic = ascii(bytes, 0, 4);
  if (tiffMagic === 'II*\0' || tiffMagic === 'MM\0*') return 'tiff';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
  const brand = isoBrand(bytes);
  if (brand === 'avif' || brand === 'avis') return 'avif';
  return undefined;
}

const KNOWN_OTHER_SIGNATURES: [string, string][] = [
  ['%PDF', 'a PDF document'],
  ['PK\x03\x04', 'a ZIP archive'],
  ['\x1f\x8b', 'gzip-compressed data'],
  ['BM', 'a BMP image (not supported)'],
  ['8BPS', 'a Photoshop document'],
  ['\x00\x00\x01\x00', 'an ICO icon'],
];

/** Names what some bytes that are not an accepted image look like, for error messages. */
export function describeBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'zero bytes';
  const start = ascii(bytes, 0, 8);
  for (const [signature, name] of KNOWN_OTHER_SIGNATURES) if (start.startsWith(signature)) return name;
  const brand = isoBrand(bytes);
  if (brand) return `an ISO media file of brand "${brand.trim()}"${/^(heic|heix|mif1|msf1|hevc)/.test(brand) ? ' (HEIC is not supported)' : ''}`;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 64)).toString('utf8');
  // eslint-disable-next-line no-control-regex
  if (/^[\x09\x0a\x0d\x20-\x7e\u00a0-\ufffc]*$/.test(head.replace(/\ufffd$/, ''))) {
    const trimmed = head.trimStart();
    const kind = trimmed.startsWith('<svg') || trimmed.includes('<svg') ? 'SVG text (not supported)'
      : trimmed.startsWith('<') ? 'HTML/XML text'
      : trimmed.startsWith('{') || trimmed.startsWith('[') ? 'JSON text'
      : 'text';
    return `${kind} starting with "${trimmed.slice(0, 24).replace(/\s+/g, ' ')}"`;
  }
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 8)).toString('hex').replace(/(..)/g, '$1 ');
  return `${bytes.length} bytes of unknown binary data starting with ${hex.trim()}`;
}

function jpegDimensions(b: Buffer): Dimensions | undefined {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) { at += 1; continue; } // extraneous bytes before a marker, as libjpeg skips them
    const marker = b[at + 1]!;
    if (marker === 0xff) { at += 1; continue; } // fill byte
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan data before any frame header
    // SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) };
    }
    at += 2 + b.readUInt16BE(at + 2);
  }
  return undefined;
}

function webpDimensions(b: Buffer): Dimensions | undefined {
  if (b.length < 30) return undefined;
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X') return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  return undefined;
}

function tiffDimensions(b: Buffer): Dimensions | undefined {
  const little = b[0] === 0x49;
  const u16 = (at: number) => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const ifd = u32(4);
  if (ifd + 2 > b.length) return undefined;
  let width: number | undefined;
  let height: number | undefined;
  for (let i = 0, count = u16(ifd); i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > b.length) break;
    const tag = u16(entry);
    const value = u16(entry + 2) === 3 ? u16(entry + 8) : u32(entry + 8);
    if (tag === 256) width = value;
    if (tag === 257) height = value;
  }
  return width && height ? { width, height } : undefined;
}

/** Largest "ispe" (image spatial extents) property of an AVIF file: the primary image, not a thumbnail. */
function avifDimensions(b: Buffer): Dimensions | undefined {
  let best: Dimensions | undefined;
  const end = Math.min(b.length, 1 << 16);
  for (let at = b.indexOf('ispe', 0, 'latin1'); at >= 0 && at + 16 <= end; at = b.indexOf('ispe', at + 4, 'latin1')) {
    const found = { width: b.readUInt32BE(at + 8), height: b.readUInt32BE(at + 12) };
    if (!best || found.width * found.height > best.width * best.height) best = found;
  }
  return best;
}

/** Pixel size from the header without decoding, or undefined when the header cannot be read. */
export function headerDimensions(bytes: Uint8Array, format: ImageFormat): Dimensions | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    switch (format) {
      case 'png': return b.length >= 24 && ascii(b, 12, 4) === 'IHDR' ? { width: b.readUInt32BE(16), height: b.readUInt32BE(20) } : undefined;
      case 'gif': return b.length >= 10 ? { width: b.readUInt16LE(6), height: b.readUInt16LE(8) } : undefined;
      case 'jpeg': return jpegDimensions(b);
      case 'webp': return webpDimensions(b);
      case 'tiff': return tiffDimensions(b);
      case 'avif': return avifDimensions(b);
    }
  } catch {
    return undefined; // a header cut short reads past the end
  }
}
