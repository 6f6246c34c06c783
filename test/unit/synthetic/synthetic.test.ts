import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { generateDataCommand } from '../../../bin/commands/generate-data';
import {
  CLASS_LABELS, ConfusionMatrix, generateDataset, iouReport, argmaxClasses, mixSeed, Random, renderSample, sampleSeed,
  type RenderedSample,
} from '../../../lib/synthetic';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Distance from a point to a segment. */
function segmentDistance(px: number, py: number, [ax, ay]: number[], [bx, by]: number[]): number {
  const dx = bx! - ax!;
  const dy = by! - ay!;
  const t = Math.max(0, Math.min(1, ((px - ax!) * dx + (py - ay!) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (ax! + t * dx), py - (ay! + t * dy));
}

describe('synthetic power-line data', () => {
  const samples: RenderedSample[] = [];
  before(async () => {
    for (let i = 0; i < 40; i++) samples.push(await renderSample(mixSeed(99, i), 256));
  });

  it('seeded random numbers repeat and stay in range', () => {
    const a = new Random(42);
    const b = new Random(42);
    const drawn = Array.from({ length: 1000 }, () => a.next());
    assert.deepEqual(drawn, Array.from({ length: 1000 }, () => b.next()));
    assert.ok(drawn.every((v) => v >= 0 && v < 1));
    assert.notDeepEqual(drawn.slice(0, 10), Array.from({ length: 10 }, new Random(43).next, new Random(43)));
    const ints = Array.from({ length: 1000 }, () => a.int(2, 4));
    assert.deepEqual([...new Set(ints)].sort(), [2, 3, 4]);
  });

  it('the same seed gives byte-identical picture and mask', async () => {
    const again = await renderSample(mixSeed(99, 0), 256);
    assert.equal(sha(again.image), sha(samples[0]!.image));
    assert.equal(sha(again.mask), sha(samples[0]!.mask));
  });

  it('different seeds give different scenes', () => {
    const hashes = new Set(samples.map((s) => sha(s.image)));
    assert.equal(hashes.size, samples.length);
    assert.equal(new Set(samples.map((s) => sha(s.mask))).size, samples.length);
  });

  it('masks are grey PNGs holding only class indices 0..3, with no blended pixels', async () => {
    for (const s of samples) {
      assert.equal(s.strayPixels, 0);
      assert.equal((await sharp(s.mask).metadata()).channels, 1);
      const { data, info } = await sharp(s.mask).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [256, 256]);
      assert.ok(data.every((v) => v <= 3));
      assert.deepEqual(Buffer.from(s.classMap), data);
    }
  });

  it('rust lies on tower members (within half a member width plus one pixel) and inside its rust spots', () => {
    let rustPixels = 0;
    for (const s of samples) {
      for (let i = 0; i < s.classMap.length; i++) {
        if (s.classMap[i] !== 3) continue;
        rustPixels++;
        const x = (i % 256) + 0.5;
        const y = Math.floor(i / 256) + 0.5;
        const onMember = s.scene.towers.some((t) =>
          t.members.some((m) => segmentDistance(x, y, m.from, m.to) <= m.width / 2 + 1));
        const inSpot = s.scene.rust.some((p) => p.spots.some((c) => Math.hypot(x - c.cx, y - c.cy) <= c.r));
        assert.ok(onMember && inSpot, `rust pixel (${x}, ${y}) off the tower or outside every rust spot`);
      }
    }
    assert.ok(rustPixels > 500, `only ${rustPixels} rust pixels in 40 samples`);
  });

  it('class ratios are in the expected ranges', () => {
    const totals = [0, 0, 0, 0];
    for (const s of samples) s.classPixels.forEach((v, c) => (totals[c]! += v));
    const all = totals.reduce((a, b) => a + b, 0);
    const ratios = totals.map((v) => v / all);
    assert.ok(ratios[0]! > 0.85 && ratios[0]! < 0.98, `background ${ratios[0]}`);
    assert.ok(ratios[1]! > 0.01 && ratios[1]! < 0.06, `tower ${ratios[1]}`);
    assert.ok(ratios[2]! > 0.01 && ratios[2]! < 0.06, `cable ${ratios[2]}`);
    assert.ok(ratios[3]! > 0.0005 && ratios[3]! < 0.01, `rust ${ratios[3]}`);
    const rusty = samples.filter((s) => s.classPixels[3]! > 0).length;
    assert.ok(rusty >= 8 && rusty <= 32, `${rusty} of 40 samples show rust`);
    assert.ok(samples.some((s) => s.scene.towers.length === 0), 'no tower-free scene');
    assert.ok(samples.some((s) => s.scene.towers.length === 2), 'no two-tower scene');
  });

  it('splits draw different samples even from the same base seed', () => {
    const seeds = ['train', 'val', 'test'].map((split) => sampleSeed(5, split as 'train', 0));
    assert.equal(new Set(seeds).size, 3);
  });

  it('writes a split with images, masks and a manifest, and the CLI refuses bad options', async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'vqi-data-'));
    try {
      assert.equal(await generateDataCommand(['--out', out, '--split', 'val', '--count', '3', '--size', '64', '--quiet']), 0);
      const manifest = JSON.parse(await fs.readFile(path.join(out, 'val', 'manifest.json'), 'utf8'));
      assert.equal(manifest.count, 3);
      assert.equal(manifest.seed, 2);
      assert.deepEqual(manifest.labels, [...CLASS_LABELS]);
      const meta = await sharp(path.join(out, 'val', manifest.samples[2].image)).metadata();
      assert.deepEqual([meta.width, meta.height, meta.channels], [64, 64, 3]);
      assert.equal(await generateDataCommand(['--out', out, '--split', 'holdout', '--quiet']), 1);
      assert.equal(await generateDataCommand(['--split', 'val']), 2);
      await assert.rejects(generateDataset({ out, split: 'val', count: 0, size: 64, seed: 1 }), /Expected integer from 1 to 100000 for --count but received 0 of type number/);
    } finally {
      await fs.rm(out, { recursive: true, force: true });
    }
  });
});

describe('segmentation metrics', () => {
  it('computes data-set level IoU per class and their mean', () => {
    const matrix = new ConfusionMatrix(3)
      .add([0, 0, 1, 1], [0, 1, 1, 1])
      .add([0, 0, 0, 0], [0, 0, 0, 0]);
    const report = iouReport(matrix, ['a', 'b', 'c']);
    // a: intersection 5, union 6; b: intersection 2, union 3; c never occurs.
    assert.deepEqual(report.perClass, { a: 5 / 6, b: 2 / 3, c: null });
    assert.equal(report.mIoU, (5 / 6 + 2 / 3) / 2);
    assert.equal(report.pixelAccuracy, 7 / 8);
    assert.throws(() => matrix.add([0], [3]), /class index 3 at pixel 0 is not below 3/);
  });

  it('takes the arg-max over NCHW logits', () => {
    // 2 classes × 3 pixels
    assert.deepEqual([...argmaxClasses(new Float32Array([1, 5, 0, 2, 4, -1]), 2, 3)], [1, 0, 0]);
  });
});
