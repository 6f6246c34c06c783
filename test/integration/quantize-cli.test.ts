import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quantizeCommand } from '../../bin/commands/quantize';
import { decodeModel, encodeModel, readModelInfo } from '../../lib/onnx';
import { readQuantizationRecord } from '../../lib/quantize';
import { imageModel, mlpModel, writeCalibrationImages } from '../helpers/quant-models';

/** Runs the command with stdout and stderr captured. */
async function runCommand(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string) => { stdout += chunk; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => { stderr += chunk; return true; }) as typeof process.stderr.write;
  try {
    const code = await quantizeCommand(argv);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe('edge-mlops quantize', function () {
  this.timeout(30000);
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quantize-cli-'));
    fs.writeFileSync(path.join(dir, 'model.onnx'), imageModel({ labels: '["a","b","c","d"]', mean: '[0.5,0.5,0.5]', std: '[0.25,0.25,0.25]' }));
    fs.writeFileSync(path.join(dir, 'mlp.onnx'), mlpModel());
    await writeCalibrationImages(path.join(dir, 'images'), 4);
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('quantizes with calibration images and prints the summary', async () => {
    const output = path.join(dir, 'model.int8.onnx');
    const result = await runCommand([path.join(dir, 'model.onnx'), output, '--mode', 'static', '--calibration', path.join(dir, 'images'), '--method', 'percentile', '--runs', '3', '--weight-bits', '7']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines[0], `quantized model written to ${output}`);
    assert.match(lines[1]!, /^ {2}mode: static \(QDQ, percentile, per-channel weights, uint8 activations, 4 calibration inputs\)$/);
    assert.match(lines[2]!, /^ {2}quantized ops: Conv 2$/);
    assert.equal(lines[3], '  ONNX Runtime integer kernels: QLinearConv 2; still float: Conv 1');
    lines.splice(3, 1);
    // mean and std come from the metadata, scale was nobody's choice: the summary says so
    assert.equal(lines[3], "  normalisation: scale 1/255, mean [0.5, 0.5, 0.5], std [0.25, 0.25, 0.25]: scale not in the model's metadata nor given, defaults used; calibration depends on them: give --mean/--std/--scale (node: metadata or mlops-tensor tensors) if the model was trained otherwise");
    assert.equal(lines[4], '  version: 0.0.0-int8.w7, weights 7-bit');
    assert.match(lines[5]!, /^ {2}calibration: 4 tensors, [\d.]+ KiB of activations per input, 1 inference\(s\) per input within 256\.00 MiB \(--max-memory\); about \d+ s for the other 3 input\(s\), peak about [\d.]+ KiB/);
    lines.splice(3, 3);
    assert.match(lines[3]!, /^ {2}size: [\d.]+ KiB → [\d.]+ KiB \([\d.]+×\)$/);
    assert.match(lines[4]!, /^ {2}latency \(1 thread, median of 3 interleaved runs\): [\d.]+ ms → [\d.]+ ms \([\d.]+× (faster|slower)\)$/);
    const agreement = /^ {2}agreement y: mIoU ([\d.]+) \(argmax class maps\), max abs diff [\d.e-]+, cosine ([\d.]+)$/.exec(lines[5]!);
    assert.ok(agreement, lines[5]);
    // The generated model's random weights leave near-ties between classes, so a few argmax flips are expected;
    // the logits themselves must agree closely.
    assert.ok(Number(agreement[2]) >= 0.99, `cosine ${agreement[2]}`);
    assert.ok(Number(agreement[1]) >= 0.85, `mIoU ${agreement[1]}`);
    // plain progress lines on a non-TTY stream, the estimate printed before calibration ends
    assert.match(result.stderr, /calibrating: 100%/);
    assert.ok(result.stderr.indexOf('calibration: 4 tensors') < result.stderr.indexOf('calibrating: 100%'), result.stderr);
    const info = readModelInfo(fs.readFileSync(output));
    assert.equal(info.metadata.labels, '["a","b","c","d"]');
    const record = readQuantizationRecord(fs.readFileSync(output))!;
    assert.equal(record.method, 'percentile');
    assert.equal(record.weightBits, 7);
    assert.equal(info.metadata.version, '0.0.0-int8.w7');
    assert.equal(info.metadata.source_sha256, createHash('sha256').update(fs.readFileSync(path.join(dir, 'model.onnx'))).digest('hex'));
  });

  it('takes --weight-bits 8 and says which CPUs the model is for; the normalisation from options is stated', async () => {
    const output = path.join(dir, 'model8.int8.onnx');
    const result = await runCommand([path.join(dir, 'model.onnx'), output, '--calibration', path.join(dir, 'images'), '--no-compare', '--weight-bits', '8', '--scale', '0.5']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\n {2}normalisation: scale 0\.5, mean \[0\.5, 0\.5, 0\.5\], std \[0\.25, 0\.25, 0\.25\] \(scale given; mean, std from the model's metadata\)\n/);
    assert.match(result.stdout, /version: 0\.0\.0-int8, weights 8-bit \(for CPUs with VNNI or ARM: x86 without VNNI saturates; use --weight-bits 7 for those\)/);
    assert.equal(readQuantizationRecord(fs.readFileSync(output))!.needsVnniOnX86, true);
    const bad = await runCommand([path.join(dir, 'model.onnx'), output, '--calibration', path.join(dir, 'images'), '--weight-bits', '6']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Expected one of 7, 8, auto for --weight-bits but received '6' of type string/);
  });

  it('corrects Conv biases with --bias-correction and says so', async () => {
    const output = path.join(dir, 'corrected.int8.onnx');
    const result = await runCommand([path.join(dir, 'model.onnx'), output, '--calibration', path.join(dir, 'images'), '--no-compare', '--weight-bits', '7', '--bias-correction']);
    assert.equal(result.code, 0, result.stderr);
    const record = readQuantizationRecord(fs.readFileSync(output))!;
    assert.ok(record.correctedBiases! >= 1, JSON.stringify(record));
    assert.match(result.stdout, new RegExp(`\\n {2}bias correction: ${record.correctedBiases} Conv bias\\(es\\) absorbed the mean shift of their rounded weights\\n`));
    assert.equal(record.runtimeIntegerOps.QLinearConv, record.quantizedOps.Conv, 'every quantized Conv still fused');
  });

  it('tunes for --target-agreement on the chosen --output and prints the trade-off per step', async () => {
    const output = path.join(dir, 'tuned.int8.onnx');
    const result = await runCommand([path.join(dir, 'model.onnx'), output, '--calibration', path.join(dir, 'images'), '--runs', '2', '--weight-bits', '7', '--target-agreement', '0.9999', '--output', 'y']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\n {2}accuracy tuning: target mIoU 0\.9999 on 1 held-out calibration input\(s\), \d+ nodes measured: (met|NOT met) with \d+ node\(s\) in float \(mIoU [\d.]+\)\n {4}all quantized: mIoU [\d.]+, speed-up [\d.]+× \(1 thread\)\n/);
    const record = readQuantizationRecord(fs.readFileSync(output))!;
    assert.equal(record.accuracyTuning!.target, 0.9999);
    const unknown = await runCommand([path.join(dir, 'model.onnx'), output, '--calibration', path.join(dir, 'images'), '--output', 'logits', '--no-compare', '--target-agreement', '0.9']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /the model has no output "logits"; its outputs are "y"/);
    const bad = await runCommand([path.join(dir, 'model.onnx'), output, '--calibration', path.join(dir, 'images'), '--target-agreement', '97']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Expected number above 0 and at most 1, e.g. 0.97 for --target-agreement but received '97' of type string/);
  });

  it('bounds calibration memory with --max-memory: more, smaller inferences, same ranges', async () => {
    const run = async (extra: string[]) => {
      const output = path.join(dir, `budget${extra.length}.int8.onnx`);
      const result = await runCommand([path.join(dir, 'model.onnx'), output, '--calibration', path.join(dir, 'images'), '--no-compare', '--weight-bits', '7', ...extra]);
      assert.equal(result.code, 0, result.stderr);
      return { stderr: result.stderr, model: decodeModel(fs.readFileSync(output)) };
    };
    const small = await run(['--max-memory', '0.01']);
    const inferences = /(\d+) inference\(s\) per input within 10\.2 KiB/.exec(small.stderr);
    assert.ok(inferences && Number(inferences[1]) >= 3, small.stderr);
    const large = await run([]);
    assert.match(large.stderr, / 1 inference\(s\) per input within 256\.00 MiB/);
    // Grouping changes how activations are fetched, not what is measured: identical quantization parameters.
    const params = (m: ReturnType<typeof decodeModel>) => m.graph!.initializer!.filter((t) => /\/(s|z)$/.test(t.name ?? '')).map((t) => `${t.name}=${Buffer.from(t.rawData ?? []).toString('hex')}`).sort();
    assert.deepEqual(params(small.model), params(large.model));
  });

  it('quantizes an MLP dynamically without calibration images', async () => {
    const output = path.join(dir, 'mlp.int8.onnx');
    const result = await runCommand([path.join(dir, 'mlp.onnx'), output, '--mode', 'dynamic', '--runs', '2']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /mode: dynamic \(DynamicQuantizeMatMul, per-channel weights\)/);
    assert.match(result.stdout, /agreement y: max abs diff/);
    assert.ok(readModelInfo(fs.readFileSync(output)).opTypes.includes('com.microsoft.DynamicQuantizeMatMul'));
  });

  it('needs --size for a model whose input size is not fixed', async () => {
    const model = decodeModel(imageModel());
    const dims = model.graph!.input![0]!.type!.tensorType!.shape!.dim!;
    dims[2] = { dimParam: 'height' };
    dims[3] = { dimParam: 'width' };
    fs.writeFileSync(path.join(dir, 'dynamic.onnx'), encodeModel(model));
    const args = [path.join(dir, 'dynamic.onnx'), path.join(dir, 'dynamic.int8.onnx'), '--calibration', path.join(dir, 'images'), '--no-compare'];
    const refused = await runCommand(args);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the model input has no fixed size and no input_size metadata; give the calibration image size \(CLI: --size WxH/);
    const sized = await runCommand([...args, '--size', '20x12']);
    assert.equal(sized.code, 0, sized.stderr);
    assert.match(sized.stdout, /4 calibration inputs/);
  });

  it('explains usage mistakes with exit code 2', async () => {
    const missing = await runCommand([path.join(dir, 'model.onnx'), path.join(dir, 'x.onnx')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /static mode needs --calibration <dir> with representative images/);
    assert.match(missing.stderr, /usage: edge-mlops quantize/);
    const badMethod = await runCommand(['a.onnx', 'b.onnx', '--mode', 'dynamic', '--method', 'magic']);
    assert.equal(badMethod.code, 2);
    assert.match(badMethod.stderr, /Expected one of minmax, percentile, entropy, mse for --method but received 'magic' of type string/);
  });

  it('reports refusals with exit code 1 and the reason', async () => {
    const quantizedAgain = await runCommand([path.join(dir, 'model.int8.onnx'), path.join(dir, 'again.onnx'), '--calibration', path.join(dir, 'images')]);
    assert.equal(quantizedAgain.code, 1);
    assert.match(quantizedAgain.stderr, /the model is already quantized .* quantize the original float model instead/);
    const noImages = await runCommand([path.join(dir, 'model.onnx'), path.join(dir, 'again.onnx'), '--calibration', path.join(dir, 'nowhere')]);
    assert.equal(noImages.code, 1);
    assert.match(noImages.stderr, /calibration folder ".*nowhere" does not exist or is not a folder/);
    assert.equal(fs.existsSync(path.join(dir, 'again.onnx')), false);
  });
});
