// `edge-mlops dataset export`: a collect store as the training recipe's data set layout
// (<out>/<split>/images/NNNNN.png, masks/NNNNN.png 8-bit grey = class index, manifest.json), every picture resized to
// one square size as training/train.py expects. The masks are the model's predictions: pseudo-labels to review.
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors';
import { loadSharp } from '../image/libraries';
import { SAMPLE_FILE, sampleDirectories } from './store';

export interface ExportOptions {
  collectDir: string;
  out: string;
  /** Side of the square pictures (train.py: a multiple of 8). */
  size: number;
  /** Share of the samples (every n-th, deterministic) that go to the val split; 0 = train only. */
  valShare: number;
  /** Only samples whose sample.json says reviewed: true. */
  reviewedOnly: boolean;
}

export interface ExportSummary { train: number; val: number; skipped: { sample: string; reason: string }[]; labels: string[] }

interface SampleMeta { picture?: string; classMap?: string; labels?: string[]; colors?: string[]; reviewed?: boolean; assetId?: string; rule?: unknown; model?: unknown; flow?: unknown; time?: string }

export async function exportDataset(options: ExportOptions): Promise<ExportSummary> {
  if (!Number.isInteger(options.size) || options.size < 8 || options.size % 8 !== 0) {
    throw new PipelineError('bad-setting', `Expected a multiple of 8 (at least 8) for size but received ${options.size}`, { setting: 'size', expected: 'a multiple of 8', received: String(options.size) });
  }
  if (!fs.existsSync(options.collectDir)) throw new PipelineError('bad-setting', `the collect directory ${options.collectDir} does not exist`, { setting: 'collectDir', expected: 'an existing directory', received: options.collectDir });
  if (fs.existsSync(options.out) && fs.readdirSync(options.out).length > 0) {
    throw new PipelineError('bad-setting', `the output directory ${options.out} is not empty; choose a new one so no data set is mixed with another`, { setting: 'out', expected: 'an empty or new directory', received: options.out });
  }
  const sharp = loadSharp();
  const skipped: ExportSummary['skipped'] = [];
  let labels: string[] | undefined;
  let colors: string[] | undefined;
  const chosen: { dir: string; meta: SampleMeta }[] = [];
  for (const dir of sampleDirectories(options.collectDir)) {
    const id = path.basename(dir);
    let meta: SampleMeta;
    try {
      meta = JSON.parse(fs.readFileSync(path.join(dir, SAMPLE_FILE), 'utf8')) as SampleMeta;
    } catch (err) {
      skipped.push({ sample: id, reason: `unreadable ${SAMPLE_FILE}: ${(err as Error).message}` });
      continue;
    }
    if (options.reviewedOnly && meta.reviewed !== true) { skipped.push({ sample: id, reason: 'not reviewed' }); continue; }
    if (!meta.picture || !meta.classMap || !Array.isArray(meta.labels)) { skipped.push({ sample: id, reason: `${SAMPLE_FILE} lacks picture, classMap or labels` }); continue; }
    labels ??= meta.labels;
    colors ??= meta.colors;
    if (JSON.stringify(meta.labels) !== JSON.stringify(labels)) {
      skipped.push({ sample: id, reason: `labels ${meta.labels.join(',')} differ from ${labels.join(',')} (another model)` });
      continue;
    }
    chosen.push({ dir, meta });
  }
  if (chosen.length === 0) throw new PipelineError('bad-setting', `no usable samples in ${options.collectDir}${skipped.length ? ` (${skipped.length} skipped: ${skipped[0]!.reason})` : ''}`, { setting: 'collectDir', expected: 'collected samples', received: options.collectDir });

  const every = options.valShare > 0 ? Math.max(2, Math.round(1 / options.valShare)) : 0;
  const splits: Record<'train' | 'val', Record<string, unknown>[]> = { train: [], val: [] };
  for (const [index, { dir, meta }] of chosen.entries()) {
    const split = every && (index + 1) % every === 0 ? 'val' : 'train';
    const name = `${String(splits[split].length).padStart(5, '0')}.png`;
    const base = path.join(options.out, split);
    fs.mkdirSync(path.join(base, 'images'), { recursive: true });
    fs.mkdirSync(path.join(base, 'masks'), { recursive: true });
    try {
      await sharp(path.join(dir, meta.picture!)).rotate().removeAlpha().resize(options.size, options.size, { fit: 'fill' }).png().toFile(path.join(base, 'images', name));
      // Nearest neighbour: a class index must never be averaged into another class.
      const mask = await sharp(path.join(dir, meta.classMap!)).extractChannel(0).resize(options.size, options.size, { fit: 'fill', kernel: 'nearest' }).raw().toBuffer();
      const max = mask.reduce((m, v) => Math.max(m, v), 0);
      if (max >= labels!.length) throw new Error(`mask value ${max} is not a class index (${labels!.length} labels)`);
      await sharp(mask, { raw: { width: options.size, height: options.size, channels: 1 } }).toColourspace('b-w').png().toFile(path.join(base, 'masks', name));
    } catch (err) {
      fs.rmSync(path.join(base, 'images', name), { force: true });
      skipped.push({ sample: path.basename(dir), reason: (err as Error).message });
      continue;
    }
    splits[split].push({
      image: `images/${name}`, mask: `masks/${name}`, source: path.basename(dir), reviewed: meta.reviewed === true,
      assetId: meta.assetId, rule: meta.rule, model: meta.model, flow: meta.flow, time: meta.time,
    });
  }
  for (const split of ['train', 'val'] as const) {
    if (splits[split].length === 0) continue;
    const manifest = {
      generator: 'edge-mlops dataset export (mlops-collect samples)', split, seed: null, size: options.size,
      count: splits[split].length, labels, colors, maskFormat: 'PNG 8-bit grey, pixel value = class index',
      pseudoLabels: 'masks are model predictions; review them (set reviewed: true in the source sample.json) before training on them',
      samples: splits[split],
    };
    fs.writeFileSync(path.join(options.out, split, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  }
  return { train: splits.train.length, val: splits.val.length, skipped, labels: labels! };
}
