// Realistic calibration pictures for a text detector: lines of text in DejaVu fonts on varied backgrounds,
// rendered from SVG by sharp. Deterministic for a given seed.
import sharp from 'sharp';

const WORDS = [
  'invoice', 'total', 'amount', 'date', 'Serial No.', 'pressure', 'valve', 'QC passed', 'lot 4711', 'batch',
  'temperature', '23.5 °C', 'warning', 'tower 17', 'inspection', 'line A', '2026-11-22', 'ID 0042', 'kWh', 'meter',
  'Edge MLOps', 'thin-edge', 'ONNX', 'quality', 'operator', 'shift 2', 'approved', 'reject', 'sensor', 'SN-88231',
];
const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono'];

function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >> 17;
    state ^= state << 5; state >>>= 0;
    return state / 0x100000000;
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One PNG with a few text lines; returns the encoded image. */
export async function renderTextImage(width: number, height: number, seed: number): Promise<Buffer> {
  const rnd = random(seed);
  const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)]!;
  const light = rnd() > 0.25;
  const bg = light ? `rgb(${200 + Math.floor(rnd() * 55)},${200 + Math.floor(rnd() * 55)},${190 + Math.floor(rnd() * 65)})` : `rgb(${Math.floor(rnd() * 60)},${Math.floor(rnd() * 60)},${Math.floor(rnd() * 80)})`;
  const lines: string[] = [];
  let y = 20 + rnd() * 30;
  while (y < height - 20) {
    const size = Math.floor(14 + rnd() * 36);
    const words = Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => pick(WORDS)).join(' ');
    const shade = light ? Math.floor(rnd() * 80) : 180 + Math.floor(rnd() * 75);
    lines.push(`<text x="${Math.floor(10 + rnd() * width * 0.3)}" y="${Math.floor(y + size)}" font-family="${pick(FONTS)}" font-size="${size}" fill="rgb(${shade},${shade},${shade})">${escapeXml(words)}</text>`);
    y += size * (1.4 + rnd() * 1.5);
  }
  const rect = `<rect x="${Math.floor(rnd() * width * 0.5)}" y="${Math.floor(rnd() * height * 0.5)}" width="${Math.floor(rnd() * width * 0.4)}" height="${Math.floor(rnd() * height * 0.3)}" fill="rgb(${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)})" opacity="0.3"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${bg}"/>${rect}${lines.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export async function renderTextImages(count: number, width: number, height: number, firstSeed = 1): Promise<Buffer[]> {
  const images: Buffer[] = [];
  for (let i = 0; i < count; i++) images.push(await renderTextImage(width, height, firstSeed + i * 7919));
  return images;
}
