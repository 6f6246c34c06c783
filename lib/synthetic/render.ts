// Renders a scene to an RGB picture and a class-index mask (both PNG) with sharp.
import sharp from 'sharp';
import { mixSeed, Random } from './random';
import { buildScene, type Lighting, type Scene } from './scene';
import { CABLE_LEVEL, CLASS_LABELS, imageSvg, structureSvg, towerLevel } from './svg';

export interface RenderedSample {
  /** PNG, RGB 8-bit. */
  image: Buffer;
  /** PNG, 8-bit grey, each pixel a class index 0…3. */
  mask: Buffer;
  /** Class index per pixel, row-major. */
  classMap: Uint8Array;
  /** Pixels per class, indexed like CLASS_LABELS. */
  classPixels: number[];
  /** Structure-map pixels whose grey level is no tower's and not the cables' (0 when anti-aliasing is truly off). */
  strayPixels: number;
  scene: Scene;
}

/** Lighting gradient, colour cast and grain, applied in place to RGB pixels. */
function applyLighting(pixels: Buffer, size: number, lighting: Lighting, rng: Random): void {
  const dx = Math.cos(lighting.angle) / size;
  const dy = Math.sin(lighting.angle) / size;
  for (let y = 0, i = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const gain = lighting.gain * (1 + lighting.slope * ((x - size / 2) * dx + (y - size / 2) * dy) * 2);
      const grain = rng.normal() * lighting.grain;
      for (let c = 0; c < 3; c++, i++) {
        const value = pixels[i]! * gain * lighting.tint[c]! + grain;
        pixels[i] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
      }
    }
  }
}

async function renderImage(scene: Scene, seed: number, classMap: Uint8Array): Promise<Buffer> {
  const raw = { width: scene.size, height: scene.size, channels: 3 as const };
  const drawn = await sharp(Buffer.from(imageSvg(scene))).removeAlpha().raw().toBuffer();
  paintRust(drawn, classMap, scene, new Random(mixSeed(seed, 'rust')));
  const pixels = scene.lighting.blur > 0
    ? await sharp(drawn, { raw }).blur(scene.lighting.blur).raw().toBuffer()
    : drawn;
  applyLighting(pixels, scene.size, scene.lighting, new Random(mixSeed(seed, 'grain')));
  return sharp(pixels, { raw }).png().toBuffer();
}

function hexColor(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

const RUST = 3;

/** Class per pixel from the crisp structure map; rust = pixels of a tower that fall inside that tower's rust spots. */
async function renderMask(scene: Scene): Promise<{ classMap: Uint8Array; strayPixels: number; classPixels: number[] }> {
  const levels = await sharp(Buffer.from(structureSvg(scene))).removeAlpha().extractChannel(0).raw().toBuffer();
  const towerOfLevel = new Map(scene.towers.map((_, i) => [towerLevel(i), i]));
  const classMap = new Uint8Array(levels.length);
  const classPixels = CLASS_LABELS.map(() => 0);
  let strayPixels = 0;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    let k = 0;
    if (level === CABLE_LEVEL) k = 2;
    else if (towerOfLevel.has(level)) {
      const tower = towerOfLevel.get(level)!;
      const x = (i % scene.size) + 0.5;
      const y = Math.floor(i / scene.size) + 0.5;
      const rusty = scene.rust.some((patch) => patch.tower === tower
        && patch.spots.some((s) => (x - s.cx) ** 2 + (y - s.cy) ** 2 <= s.r ** 2));
      k = rusty ? RUST : 1;
    } else if (level !== 0) strayPixels++;
    classMap[i] = k;
    classPixels[k]!++;
  }
  return { classMap, strayPixels, classPixels };
}

/** Paints rust, mottled, in the first patch's colour, onto exactly the rust pixels of the mask. */
function paintRust(pixels: Buffer, classMap: Uint8Array, scene: Scene, rng: Random): void {
  if (scene.rust.length === 0) return;
  const [r, g, b] = hexColor(scene.rust[0]!.color);
  for (let i = 0; i < classMap.length; i++) {
    if (classMap[i] !== RUST) continue;
    const shade = 0.8 + 0.35 * rng.next();
    pixels[i * 3] = Math.min(255, Math.round(r * shade));
    pixels[i * 3 + 1] = Math.min(255, Math.round(g * shade));
    pixels[i * 3 + 2] = Math.min(255, Math.round(b * shade));
  }
}

export async function renderSample(seed: number, size: number): Promise<RenderedSample> {
  const scene = buildScene(seed, size);
  const mask = await renderMask(scene);
  const [image, maskPng] = await Promise.all([
    renderImage(scene, seed, mask.classMap),
    sharp(Buffer.from(mask.classMap), { raw: { width: size, height: size, channels: 1 } }).toColourspace('b-w').png().toBuffer(),
  ]);
  return { image, mask: maskPng, ...mask, scene };
}
