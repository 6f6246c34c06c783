import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quantizeModel } from '../../../lib/quantize';
import { runQuantizeJob } from '../../../lib/quantize/job';
import type { SaturationCheck } from '../../../lib/quantize/saturation-check';
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
    const node = testHelper.getNode('model') as unknown as ModelConfigNode & { int8Check?: Promise<SaturationCheck> };
    await node.ready();
    // The measurement runs in a worker; the warning is logged when it is done.
    const check = node.int8Check ? await node.int8Check : undefined;
    return { warnings: loggedWarnings('model'), check };
  }

  it('mlops-model warns when a full-range int8 model runs on a CPU without VNNI (stubbed CPU flags)', async () => {
    setCpuReader(() => AVX2);
    const { warnings, check } = await deploy(full);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!, /^full\.int8 0\.0\.0-int8: this model was quantized with full-range 8-bit weights, made for CPUs with VNNI or ARM; this CPU \(x64, AVX2 without VNNI\)/);
    // A generated model with tensor inputs: no calibration picture was recorded, none is bundled for it.
    assert.deepEqual(check, { reason: 'no calibration picture is at hand' });
    assert.match(warnings[0]!, /; agreement not measured: no calibration picture is at hand$/);
  });

  it('the warning states the agreement measured in a worker on the recorded calibration picture, else on the bundled samples', async function () {
    this.timeout(60000);
    const pictures = path.join(dir, 'pictures');
    fs.mkdirSync(pictures);
    const samplesDir = path.resolve(__dirname, '..', '..', '..', '..', 'samples');
    for (const name of ['tower-rusty.jpg', 'tower-healthy.jpg']) fs.copyFileSync(path.join(samplesDir, name), path.join(pictures, name));
    const demo = path.join(dir, 'vqi-demo.int8.onnx');
    const summary = await runQuantizeJob({
      inputPath: path.resolve(__dirname, '..', '..', '..', '..', 'models', 'vqi-demo.onnx'), outputPath: demo,
      options: { mode: 'static', weightBits: 8 }, calibrationDir: pictures, compare: false,
    });
    assert.deepEqual(summary.record.calibrationSample, { files: [path.join(pictures, 'tower-healthy.jpg')], preprocessing: {} }, 'the first picture by name');
    setCpuReader(() => AVX2);
    const recorded = await deploy(demo);
    assert.equal(recorded.check?.sample?.origin, 'recorded');
    const judged = recorded.check!.agreement![0]!;
    assert.equal(judged.metric, 'mIoU', 'the demo model has labels: its class map is judged by mIoU');
    assert.equal(recorded.warnings.length, 1);
    assert.ok(recorded.warnings[0]!.endsWith(`; measured on this CPU on the model's calibration picture (tower-healthy.jpg): mIoU ${judged.score.toFixed(4)} (cosine ${judged.cosine.toFixed(4)}, max abs diff ${judged.maxAbsDiff.toPrecision(3)}) between its int8 kernels and the same int8 model computed without saturation`), recorded.warnings[0]);
    await testHelper.unload();
    // Moved to a device without the picture: the model came from the bundled demo model, so the bundled samples serve.
    fs.rmSync(pictures, { recursive: true });
    const bundled = await deploy(demo);
    assert.deepEqual(bundled.check?.sample, { origin: 'bundled', files: ['tower-at-dusk.jpg', 'tower-healthy.jpg', 'tower-rust-spots.jpg'].map((f) => path.join(samplesDir, f)) });
    assert.match(bundled.warnings[0]!, /measured on this CPU on the bundled sample pictures \(tower-at-dusk\.jpg, tower-healthy\.jpg, tower-rust-spots\.jpg\): mIoU [01]\.\d{4}/);
  });

  it('mlops-model stays quiet for 7-bit weights, and for full-range weights on a VNNI CPU', async () => {
    setCpuReader(() => AVX2);
    assert.deepEqual((await deploy(reduced)).warnings, []);
    await testHelper.unload();
    setCpuReader(() => VNNI);
    assert.deepEqual((await deploy(full)).warnings, []);
  });
});
