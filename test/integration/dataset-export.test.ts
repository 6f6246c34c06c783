// edge-mlops dataset export on a collect store, and training/train.py fine-tuning the shipped model from it:
// --init models/vqi-demo.onnx with no steps reproduces the shipped model, and a smoke run trains on the export.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { SampleStore } from '../../lib/collect';
import { exportDataset } from '../../lib/collect/export';
import { generateDataset } from '../../lib/synthetic';
import { repoRoot } from '../helpers/flow';
import { requirePrerequisite } from '../helpers/prerequisites';
import { refusal } from '../helpers/refusal';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const LABELS = ['background', 'tower', 'cable', 'rust'];

/** A collect store holding the generated scenes, their true masks standing in for predictions. */
async function collectStore(dir: string, count: number): Promise<string> {
  const data = path.join(dir, 'scenes');
  await generateDataset({ out: data, split: 'train', count, size: 64, seed: 5 });
  const store = new SampleStore(path.join(dir, 'collect'), { maxCount: 100, maxBytes: 1e8 });
  for (let i = 0; i < count; i++) {
    const name = `${String(i).padStart(5, '0')}.png`;
    await store.add({ 'picture.png': fs.readFileSync(path.join(data, 'train', 'images', name)), 'classmap.png': fs.readFileSync(path.join(data, 'train', 'masks', name)) },
      { picture: 'picture.png', classMap: 'classmap.png', labels: LABELS, colors: [], reviewed: i % 2 === 0, assetId: `t-${i}` });
  }
  return store.dir;
}

describe('dataset export', function () {
  this.timeout(180000);
  let dir: string;
  let collect: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dataset-export-'));
    collect = await collectStore(dir, 8);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the recipe\'s layout: resized pictures, nearest-neighbour masks, manifests with the provenance', async () => {
    const out = path.join(dir, 'ds1');
    const summary = await exportDataset({ collectDir: collect, out, size: 32, valShare: 0.25, reviewedOnly: false });
    assert.deepEqual([summary.train, summary.val, summary.skipped.length], [6, 2, 0]);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'train', 'manifest.json'), 'utf8'));
    assert.deepEqual([manifest.size, manifest.count, manifest.labels], [32, 6, LABELS]);
    assert.match(manifest.pseudoLabels, /review them/);
    const first = manifest.samples[0];
    assert.equal(first.assetId, 't-0');
    const image = await sharp(path.join(out, 'train', first.image)).metadata();
    assert.deepEqual([image.width, image.height, image.channels], [32, 32, 3]);
    const mask = await sharp(path.join(out, 'train', first.mask)).metadata();
    assert.equal(mask.channels, 1);
    const written = await sharp(path.join(out, 'train', first.mask)).extractChannel(0).raw().toBuffer();
    const source = path.join(collect, first.source, 'classmap.png');
    const expected = await sharp(source).extractChannel(0).resize(32, 32, { fit: 'fill', kernel: 'nearest' }).raw().toBuffer();
    assert.ok(written.equals(expected), 'class indices survive the resize');
    const reviewed = await exportDataset({ collectDir: collect, out: path.join(dir, 'ds2'), size: 32, valShare: 0, reviewedOnly: true });
    assert.equal(reviewed.train, 4);
  });

  it('skips broken or foreign samples with the reason and refuses unusable settings', async () => {
    const bad = path.join(dir, 'bad-collect');
    fs.cpSync(collect, bad, { recursive: true });
    const samples = fs.readdirSync(bad).filter((f) => /^\d{10}-/.test(f)).sort();
    fs.writeFileSync(path.join(bad, samples[0]!, 'classmap.png'), 'not a png');
    const meta = path.join(bad, samples[1]!, 'sample.json');
    fs.writeFileSync(meta, JSON.stringify({ ...JSON.parse(fs.readFileSync(meta, 'utf8')), labels: ['bg', 'crack'] }));
    const summary = await exportDataset({ collectDir: bad, out: path.join(dir, 'ds3'), size: 32, valShare: 0, reviewedOnly: false });
    assert.equal(summary.train, 6);
    assert.deepEqual(summary.skipped.map((s) => s.sample).sort(), [samples[0], samples[1]].sort());
    assert.match(summary.skipped.find((s) => s.sample === samples[1])!.reason, /labels bg,crack differ/);
    assert.match((await refusal(exportDataset({ collectDir: collect, out: path.join(dir, 'ds3'), size: 32, valShare: 0, reviewedOnly: false }))).message, /is not empty/);
    assert.match((await refusal(exportDataset({ collectDir: collect, out: path.join(dir, 'ds4'), size: 30, valShare: 0, reviewedOnly: false }))).message, /multiple of 8/);
  });

  describe('fine-tuning the shipped model', () => {
    before(function () {
      let missing: string | undefined;
      try { execFileSync(PYTHON, ['-c', 'import torch, onnx, PIL'], { stdio: 'pipe' }); } catch { missing = `${PYTHON} cannot import torch, onnx and PIL`; }
      requirePrerequisite(this, missing);
    });

    it('--init models/vqi-demo.onnx with no steps exports the same model, and a smoke run trains on the export', async () => {
      const data = path.join(dir, 'ds256');
      const { stdout } = await run(process.execPath, [path.join(repoRoot, 'dist', 'bin', 'edge-mlops.js'), 'dataset', 'export', collect, '--out', data, '--size', '256']);
      assert.equal(JSON.parse(stdout).train, 8);
      const shipped = path.join(repoRoot, 'models', 'vqi-demo.onnx');
      const again = path.join(dir, 'again.onnx');
      await run(PYTHON, [path.join(repoRoot, 'training', 'train.py'), '--data', data, '--init', shipped, '--steps', '0', '--threads', '1', '--out', again], { cwd: repoRoot });
      const input = new Float32Array(3 * 256 * 256).map((_, i) => Math.sin(i * 0.37) * 2);
      const outputs: Float32Array[] = [];
      for (const file of [shipped, again]) {
        const session = await ort.InferenceSession.create(file);
        const result = await session.run({ image: new ort.Tensor('float32', input, [1, 3, 256, 256]) });
        outputs.push(result.logits!.data as Float32Array);
      }
      const maxDiff = outputs[0]!.reduce((m, v, i) => Math.max(m, Math.abs(v - outputs[1]![i]!)), 0);
      assert.ok(maxDiff < 1e-3, `largest logit difference ${maxDiff}`);

      const tuned = path.join(dir, 'tuned.onnx');
      const smoke = await run(PYTHON, [path.join(repoRoot, 'training', 'train.py'), '--smoke', '--data', data, '--init', shipped, '--threads', '1', '--out', tuned], { cwd: repoRoot });
      assert.match(smoke.stdout, /fine-tuning .*vqi-demo\.onnx[\s\S]*exported .*tuned\.onnx/);
      const session = await ort.InferenceSession.create(tuned);
      assert.deepEqual(session.outputNames, ['logits']);
    });
  });
});
