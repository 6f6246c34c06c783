// Writes a split of the synthetic data set: <out>/<split>/images/NNNN.png, masks/NNNN.png, manifest.json.
import fs from 'node:fs/promises';
import path from 'node:path';
import { badSetting, integerSetting } from '../settings';
import { mixSeed } from './random';
import { renderSample } from './render';
import { CLASS_COLORS, CLASS_LABELS } from './svg';

export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** Default seeds per split; the split name is mixed into every sample seed as well, so splits never coincide. */
export const DEFAULT_SEEDS: Record<Split, number> = { train: 1, val: 2, test: 3 };

export interface DatasetOptions {
  out: string;
  split: Split;
  count: number;
  size: number;
  seed: number;
}

export interface ManifestSample {
  image: string;
  mask: string;
  seed: number;
  background: string;
  towers: number;
  rustyTowers: number;
  cables: number;
  classPixels: number[];
}

export interface Manifest {
  generator: string;
  split: Split;
  seed: number;
  size: number;
  count: number;
  labels: string[];
  colors: string[];
  maskFormat: string;
  samples: ManifestSample[];
}

export function sampleSeed(seed: number, split: Split, index: number): number {
  return mixSeed(seed, split, index);
}

export function validateOptions(options: DatasetOptions): void {
  if (!SPLITS.includes(options.split)) {
    throw badSetting('--split', `one of ${SPLITS.join(', ')}`, options.split);
  }
  integerSetting(options.count, '--count', undefined, { min: 1, max: 100000 });
  integerSetting(options.size, '--size', undefined, { min: 32, max: 2048 });
  integerSetting(options.seed, '--seed', undefined);
}

/** Generates one split; `onProgress` is told after each sample. */
export async function generateDataset(options: DatasetOptions, onProgress?: (done: number) => void): Promise<Manifest> {
  validateOptions(options);
  const dir = path.join(options.out, options.split);
  await fs.mkdir(path.join(dir, 'images'), { recursive: true });
  await fs.mkdir(path.join(dir, 'masks'), { recursive: true });
  const samples: ManifestSample[] = [];
  for (let index = 0; index < options.count; index++) {
    const seed = sampleSeed(options.seed, options.split, index);
    const sample = await renderSample(seed, options.size);
    if (sample.strayPixels > 0) {
      throw new Error(`sample ${index}: ${sample.strayPixels} mask pixels were blended; the mask renderer must not anti-alias`);
    }
    const name = `${String(index).padStart(5, '0')}.png`;
    await fs.writeFile(path.join(dir, 'images', name), sample.image);
    await fs.writeFile(path.join(dir, 'masks', name), sample.mask);
    samples.push({
      image: `images/${name}`,
      mask: `masks/${name}`,
      seed,
      background: sample.scene.backgroundKind,
      towers: sample.scene.towers.length,
      rustyTowers: sample.scene.rust.length,
      cables: sample.scene.cables.length,
      classPixels: sample.classPixels,
    });
    onProgress?.(index + 1);
  }
  const manifest: Manifest = {
    generator: 'edge-mlops synthetic power-line scenes v1',
    split: options.split,
    seed: options.seed,
    size: options.size,
    count: options.count,
    labels: [...CLASS_LABELS],
    colors: [...CLASS_COLORS],
    maskFormat: 'PNG 8-bit grey, pixel value = class index',
    samples,
  };
  await fs.writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}
