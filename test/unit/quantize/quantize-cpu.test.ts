import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quantizeModel } from '../../../lib/quantize';
import { describeCpu, int8KernelsSaturate, saturationWarning, setCpuReader, type CpuDescription } from '../../../lib/quantize/cpu';
import type { ModelConfigNode } from '../../../nodes/shared/model-node';
import { loggedWarnings, nodeModule, testHelper } from '../../helpers/flow';
import { convModel, convSamples } from '../../helpers/quant-models';

const AVX2: CpuDescription = { arch: 'x64', flags: new Set(['sse4_2', 'avx2', 'fma']) };
const VNNI: CpuDescription = { arch: 'x64', flags: new Set(['avx2', 'avx512bw', 'avx512_vnni']) };
const ARM: CpuDescription = { arch: 'arm64', flags: new Set(['neon']) };

describe('int8 models and the CPU they run on', function () {
  this.timeout(20000);
  let dir: string;
  let full: string;
  let reduced: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quantize-cpu-'));
    full = path.join(dir, 'full.int8.onnx');
    reduced = path.join(dir, 'reduced.int8.onnx');
    fs.writeFileSync(full, (await quantizeModel(convModel(), convSamples(3), { mode: 'static', weightBits: 8 })).model);
    fs.writeFileSync(reduced, (await quantizeModel(convModel(), convSamples(3), { mode: 'static', weightBits: 7 })).model);
    await testHelper.startServer();
  });
  after(async () => {
    setCpuReader();
    await testHelper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    setCpuReader();
    await testHelper.unload();
  });

  it('knows which CPUs saturate on full-range int8 weights', () => {
    assert.equal(int8KernelsSaturate(AVX2), true);
    assert.equal(int8KernelsSaturate(VNNI), false);
    assert.equal(int8KernelsSaturate(ARM), false);
    assert.equal(int8KernelsSaturate({ arch: 'x64', flags: new Set() }), true, 'unknown x86 flags count as saturating');
    assert.equal(describeCpu(AVX2), 'x64, AVX2 without VNNI');
    assert.equal(describeCpu(VNNI), 'x64, AVX-512 VNNI');
  });

  it('chooses the weight range from the CPU when asked for auto', async () => {
    setCpuReader(() => AVX2);
    assert.equal((await quantizeModel(convModel(), convSamples(2), { mode: 'static', weightBits: 'auto' })).record.weightBits, 7);
    setCpuReader(() => VNNI);
    const record = (await quantizeModel(convModel(), convSamples(2), { mode: 'static' })).record;
    assert.equal(record.weightBits, 8);
    assert.equal(record.needsVnniOnX86, true);
    assert.equal(record.version, '0.0.0-int8');
  });

  it('warns only for full-range weights on a saturating CPU', () => {
    const metadata = (record: object) => ({ quantization: JSON.stringify(record) });
    assert.match(saturationWarning(metadata({ mode: 'static', needsVnniOnX86: true }), AVX2)!, /full-range 8-bit weights.*this CPU \(x64, AVX2 without VNNI\).*--weight-bits 7/);
    assert.equal(saturationWarning(metadata({ mode: 'static', needsVnniOnX86: true }), VNNI), undefined);
    assert.equal(saturationWarning(metadata({ mode: 'static', needsVnniOnX86: true }), ARM), undefined);
    assert.equal(saturationWarning(metadata({ mode: 'static', needsVnniOnX86: false }), AVX2), undefined);
    // records written before needsVnniOnX86 existed
    assert.ok(saturationWarning(metadata({ mode: 'static', reduceRange: false, weightType: 'int8' }), AVX2));
    assert.equal(saturationWarning(metadata({ mode: 'static', reduceRange: false, weightType: 'uint8' }), AVX2), undefined);
    assert.equal(saturationWarning({}, AVX2), undefined);
    assert.equal(saturationWarning({ quantization: '{not json' }, AVX2), undefined);
  });

  async function deploy(modelPath: string) {
    await testHelper.load([nodeModule('mlops-model'), nodeModule('mlops-infer')], [
      { id: 'tab', type: 'tab' },
      { id: 'model', type: 'mlops-model', path: modelPath, warmup: true },
      { id: 'infer', type: 'mlops-infer', z: 'tab', model: 'model', x: 100, y: 100, wires: [[]] },
    ]);
    await (testHelper.getNode('model') as unknown as ModelConfigNode).ready();
    return { warnings: loggedWarnings('model') };
  }

  it('mlops-model warns when a full-range int8 model runs on a CPU without VNNI (stubbed CPU flags)', async () => {
    setCpuReader(() => AVX2);
    const { warnings } = await deploy(full);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!, /^full\.int8 0\.0\.0-int8: this model was quantized with full-range 8-bit weights, made for CPUs with VNNI or ARM; this CPU \(x64, AVX2 without VNNI\)/);
  });

  it('mlops-model stays quiet for 7-bit weights, and for full-range weights on a VNNI CPU', async () => {
    setCpuReader(() => AVX2);
    assert.deepEqual((await deploy(reduced)).warnings, []);
    await testHelper.unload();
    setCpuReader(() => VNNI);
    assert.deepEqual((await deploy(full)).warnings, []);
  });
});
