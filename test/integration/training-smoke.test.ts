// The training recipe end to end in miniature: generated data → training/train.py --smoke → ONNX that our
// model reader and onnxruntime-node accept, with the metadata the nodes read.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { readModelInfo } from '../../lib/onnx';
import { generateDataset } from '../../lib/synthetic';
import { repoRoot } from '../helpers/flow';
import { requirePrerequisite } from '../helpers/prerequisites';

const PYTHON = '/usr/bin/python3';

function torchMissing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, onnx, PIL'], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `${PYTHON} cannot import torch, onnx and PIL (apt-get install python3-torch python3-onnx python3-pil): ${(err as Error).message.split('\n')[0]}`;
  }
}

describe('training recipe (smoke run)', function () {
  this.timeout(180000);
  let dir: string;

  before(async function () {
    requirePrerequisite(this, torchMissing());
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vqi-smoke-'));
    await generateDataset({ out: dir, split: 'train', count: 8, size: 64, seed: 11 });
  });
  after(async () => { if (dir) await fs.rm(dir, { recursive: true, force: true }); });

  it('trains a few steps, exports ONNX with the metadata, and onnxruntime-node runs it', async () => {
    const model = path.join(dir, 'smoke.onnx');
    const { stdout } = await promisify(execFile)(
      PYTHON, [path.join(repoRoot, 'training', 'train.py'), '--smoke', '--data', dir, '--out', model, '--threads', '1'],
      { cwd: repoRoot },
    );
    assert.match(stdout, /exported .*smoke\.onnx/);
    const bytes = await fs.readFile(model);
    const info = readModelInfo(bytes);
    assert.deepEqual(info.inputs, [{ name: 'image', type: 'float32', dims: [1, 3, 64, 64] }]);
    assert.deepEqual(info.outputs, [{ name: 'logits', type: 'float32', dims: [1, 4, 64, 64] }]);
    assert.ok(info.opsetVersion >= 13 && info.opsetVersion <= 17, `opset ${info.opsetVersion}`);
    const allowed = new Set(['Conv', 'Relu', 'MaxPool', 'Resize', 'ConvTranspose', 'Concat', 'Add', 'Constant']);
    assert.deepEqual(info.opTypes.filter((op) => !allowed.has(op)), []);
    const m = info.metadata;
    assert.deepEqual(JSON.parse(m.labels!), ['background', 'tower', 'cable', 'rust']);
    assert.deepEqual(JSON.parse(m.colors!), ['#000000', '#1f77b4', '#ffbf00', '#d62728']);
    assert.deepEqual(JSON.parse(m.input_size!), [64, 64]);
    assert.deepEqual(JSON.parse(m.mean!), [0.485, 0.456, 0.406]);
    assert.deepEqual(JSON.parse(m.std!), [0.229, 0.224, 0.225]);
    assert.equal(Number(m.scale), 1 / 255);
    assert.deepEqual([m.color_order, m.layout, m.name, m.task], ['RGB', 'NCHW', 'vqi-demo', 'segmentation']);
    assert.ok(m.version);

    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ image: new ort.Tensor('float32', new Float32Array(3 * 64 * 64).fill(0.5), [1, 3, 64, 64]) });
    assert.deepEqual(out.logits!.dims, [1, 4, 64, 64]);
    assert.ok((out.logits!.data as Float32Array).every(Number.isFinite));
    await session.release();
  });
});
