// Class colours blended over the original picture, with a legend, encoded as PNG or JPEG.
import sharp from 'sharp';
import type { ImageData } from '../contract';
import { rgbOf } from './palette';

export type OverlayFormat = 'png' | 'jpeg';

export interface OverlayOptions {
  /** 0 (picture only) … 1 (class colours only). */
  opacity: number;
  /** Whether class 0 is painted too. */
  includeBackground: boolean;
  legend: boolean;
  format: OverlayFormat;
}

export interface LegendEntry {
  label: string;
  color: string;
  ratio: number;
}

/**
 * RGB pixels: each pixel of a painted class becomes round(picture·(1 − opacity) + colour·opacity) per channel.
 * The image's alpha channel, if any, is dropped.
 */
export function blendClassColours(image: ImageData, classMap: Uint8Array, colors: string[], options: Pick<OverlayOptions, 'opacity' | 'includeBackground'>): Buffer {
  const keep = 1 - options.opacity;
  // A lookup table per painted class and channel, picture value → blended value, replaces per-pixel arithmetic.
  const blended = new Uint8Array(colors.length * 3 * 256);
  const painted = new Uint8Array(256);
  colors.forEach((colour, classIndex) => {
    painted[classIndex] = classIndex > 0 || options.includeBackground ? 1 : 0;
    rgbOf(colour).forEach((value, channel) => {
      const tint = value * options.opacity;
      const base = (classIndex * 3 + channel) * 256;
      for (let v = 0; v < 256; v++) blended[base + v] = Math.round(v * keep + tint);
    });
  });
  const pixels = image.width * image.height;
  const source = image.data;
  const stride = image.channels;
  const out = stride === 3 ? Buffer.from(source) : Buffer.allocUnsafe(pixels * 3);
  for (let i = 0, s = 0, o = 0; i < pixels; i++, s += stride, o += 3) {
    const classIndex = classMap[i]!;
    if (painted[classIndex]) {
      const base = classIndex * 768;
      out[o] = blended[base + source[s]!]!;
      out[o + 1] = blended[base + 256 + source[s + 1]!]!;
      out[o + 2] = blended[base + 512 + source[s + 2]!]!;
    } else if (stride !== 3) {
      out[o] = source[s]!;
      out[o + 1] = source[s + 1]!;
      out[o + 2] = source[s + 2]!;
    }
  }
  return out;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const MAX_LABEL_CHARS = 24;
// DejaVu Sans glyphs average a little over half the font size; 0.62 leaves room for wide labels.
const CHAR_WIDTH = 0.62;

/** An SVG legend that fits the picture, or undefined when the picture is too small to hold one legibly. */
export function legendSvg(entries: LegendEntry[], imageWidth: number, imageHeight: number): { svg: Buffer; left: number; top: number } | undefined {
  if (entries.length === 0) return undefined;
  const fontSize = Math.max(11, Math.min(24, Math.round(Math.min(imageWidth, imageHeight) / 28)));
  const padding = Math.round(fontSize * 0.5);
  const rowHeight = Math.round(fontSize * 1.5);
  const margin = padding;
  const fitRows = Math.floor((imageHeight - 2 * margin - 2 * padding) / rowHeight);
  if (fitRows < 1) return undefined;
  const texts = entries.map((e) => {
    const label = e.label.length > MAX_LABEL_CHARS ? `${e.label.slice(0, MAX_LABEL_CHARS - 1)}…` : e.label;
    return { text: `${label} ${(e.ratio * 100).toFixed(1)}%`, color: e.color };
  });
  let shown = texts;
  if (texts.length > fitRows) {
    shown = texts.slice(0, fitRows - 1);
    shown.push({ text: `+${texts.length - shown.length} more`, color: '' });
  }
  const longest = Math.max(...shown.map((t) => t.text.length));
  const width = Math.ceil(2 * padding + fontSize * 1.5 + longest * fontSize * CHAR_WIDTH);
  const height = 2 * padding + shown.length * rowHeight;
  if (width + 2 * margin > imageWidth || height + 2 * margin > imageHeight) return undefined;
  const rows = shown.map((entry, i) => {
    const y = padding + i * rowHeight;
    const swatch = entry.color
      ? `<rect x="${padding}" y="${y + (rowHeight - fontSize) / 2}" width="${fontSize}" height="${fontSize}" fill="${entry.color}" stroke="#ffffff" stroke-width="1"/>`
      : '';
    return `${swatch}<text x="${padding + fontSize * 1.5}" y="${y + rowHeight / 2}" dominant-baseline="central">${escapeXml(entry.text)}</text>`;
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="${width}" height="${height}" rx="${padding / 2}" fill="#000000" fill-opacity="0.6"/>` +
    `<g font-family="DejaVu Sans" font-size="${fontSize}" fill="#ffffff">${rows.join('')}</g></svg>`;
  return { svg: Buffer.from(svg), left: margin, top: margin };
}

export async function renderOverlay(
  image: ImageData, classMap: Uint8Array, colors: string[], legend: LegendEntry[], options: OverlayOptions,
): Promise<Buffer> {
  const blended = blendClassColours(image, classMap, colors, options);
  let picture = sharp(blended, { raw: { width: image.width, height: image.height, channels: 3 } });
  const box = options.legend ? legendSvg(legend, image.width, image.height) : undefined;
  if (box) picture = picture.composite([{ input: box.svg, left: box.left, top: box.top }]);
  return options.format === 'jpeg' ? picture.jpeg({ quality: 85 }).toBuffer() : picture.png().toBuffer();
}
