// The paper's Figure 6 on this machine: DeepLabV3 and FCN (ResNet50/101 backbones, 4 classes, 512×512, random
// weights from torchvision) in FP32, static int8 (QDQ) and dynamic int8 (ConvInteger): latency distribution over
// interleaved runs with 1 and 2 threads, size ratio, agreement. Written as a text table and a box-plot SVG.
// The models are exported by training/export_paper_models.py when Debian's python3-torchvision is present and cached
// in .cache/paper-models (git-ignored, not in the package). Exported for the bench runner; nothing runs on import.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as OrtTypes from 'onnxruntime-node';
import { readModelInfo } from '../lib/onnx';
import { quantizeModel, type CalibrationSample } from '../lib/quantize';
import { imageToTensor, resolvePreprocessing } from '../lib/quantize/calibration-images';
import { describeCpu } from '../lib/quantize/cpu';
import { compareOutputs, feeds, type OutputAgreement } from '../lib/quantize/evaluate';
import { mean, median } from '../lib/util/stats';
import { boxPlotSvg, boxStats, type BoxGroup } from './boxplot';

const REPO = path.resolve(__dirname, '..', '..');
export const PAPER_MODELS = ['deeplabv3_resnet50', 'fcn_resnet50', 'deeplabv3_resnet101', 'fcn_resnet101'] as const;
export const PAPER_CACHE = path.join(REPO, '.cache', 'paper-models');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const VARIANTS = ['FP32', 'int8 static (QDQ)', 'int8 dynamic (ConvInteger)'] as const;

export interface PaperRow {
  model: string;
  bytes: number[];
  /** Per thread count, per variant: milliseconds of every run. */
  runs: Record<number, number[][]>;
  agreement: { static: OutputAgreement; dynamic: OutputAgreement };
  quantizeSeconds: { static: number; dynamic: number };
}

export interface PaperBenchOptions {
  models?: readonly string[];
  threads?: number[];
  runs?: number;
  calibrationCount?: number;
  log?: (line: string) => void;
  /** After each model, with the rows so far (to write the report as it grows: R101 models take long). */
  onRow?: (rows: PaperRow[]) => void;
}

/** Why the paper section cannot run here, or undefined when it can. */
export function paperBenchUnavailable(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import torchvision, onnx'], { stdio: 'ignore' });
  return probe.status === 0 ? undefined : `${PYTHON} cannot import torchvision and onnx (install python3-torchvision and python3-onnx: node scripts/system-packages.js)`;
}

function ensureModels(models: readonly string[], log: (line: string) => void): void {
  const missing = models.filter((m) => !fs.existsSync(path.join(PAPER_CACHE, `${m}.onnx`)));
  if (missing.length === 0) return;
  log(`exporting ${missing.join(', ')} with torchvision (random weights) into ${PAPER_CACHE}`);
  const result = spawnSync(PYTHON, [path.join(REPO, 'training', 'export_paper_models.py'), '--out', PAPER_CACHE, '--models', ...missing], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`training/export_paper_models.py failed (exit ${result.status})`);
}

/** Every run of each model, the models taking turns (rotated order) so load changes hit all alike. */
export async function interleavedRuns(models: Uint8Array[], sample: CalibrationSample, threads: number, runs: number): Promise<number[][]> {
  const ort = await import('onnxruntime-node');
  const options: OrtTypes.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const sessions: OrtTypes.InferenceSession[] = [];
  try {
    for (const m of models) sessions.push(await ort.InferenceSession.create(m, options));
    const inputs = sessions.map((s) => feeds(ort, sample, s));
    for (const [i, s] of sessions.entries()) await s.run(inputs[i]!); // warm-up
    const times = models.map(() => [] as number[]);
    for (let r = 0; r < runs; r++) {
      for (let k = 0; k < models.length; k++) {
        const which = (r + k) % models.length;
        const started = process.hrtime.bigint();
        await sessions[which]!.run(inputs[which]!);
        times[which]!.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    return times;
  } finally {
    for (const s of sessions) await s.release();
  }
}

async function scenes(modelBytes: Uint8Array, first: number, count: number): Promise<CalibrationSample[]> {
  const { renderSample } = await import('../lib/synthetic');
  const info = readModelInfo(modelBytes);
  const prep = resolvePreprocessing(info);
  const samples: CalibrationSample[] = [];
  for (let i = 0; i < count; i++) samples.push({ [prep.name ?? 'x']: await imageToTensor((await renderSample(first + i, prep.width)).image, prep) });
  return samples;
}

export async function benchPaper(options: PaperBenchOptions = {}): Promise<PaperRow[]> {
  const log = options.log ?? (() => {});
  const models = options.models ?? PAPER_MODELS;
  ensureModels(models, log);
  const rows: PaperRow[] = [];
  for (const name of models) {
    const original = fs.readFileSync(path.join(PAPER_CACHE, `${name}.onnx`));
    const calibration = await scenes(original, 1000, options.calibrationCount ?? 4);
    const evaluation = await scenes(original, 5000, 2);
    let started = performance.now();
    log(`${name}: static int8 (${calibration.length} synthetic scenes)`);
    const staticModel = (await quantizeModel(original, calibration, {
      mode: 'static', maxMemoryMB: 1024,
      onEstimate: (e) => log(`  calibration: ${e.inferencesPerInput} inference(s) per input, about ${Math.round(e.secondsLeft)} s left`),
    })).model;
    const staticSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const dynamicModel = (await quantizeModel(original, [], { mode: 'dynamic', dynamicConvolutions: true })).model;
    const dynamicSeconds = (performance.now() - started) / 1000;
    const [agreeStatic] = await compareOutputs(original, staticModel, evaluation);
    const [agreeDynamic] = await compareOutputs(original, dynamicModel, evaluation);
    const runs: Record<number, number[][]> = {};
    for (const threads of options.threads ?? [1, 2]) {
      log(`${name}: ${options.runs ?? 5} interleaved runs of each variant, ${threads} thread(s)`);
      runs[threads] = await interleavedRuns([original, staticModel, dynamicModel], evaluation[0]!, threads, options.runs ?? 5);
    }
    rows.push({
      model: name, bytes: [original.length, staticModel.length, dynamicModel.length], runs,
      agreement: { static: agreeStatic!, dynamic: agreeDynamic! }, quantizeSeconds: { static: staticSeconds, dynamic: dynamicSeconds },
    });
    options.onRow?.(rows);
  }
  return rows;
}

export function cpuTitle(): string {
  return `${os.cpus()[0]?.model?.trim() ?? 'CPU'} (${describeCpu()}), ${os.cpus().length} cores`;
}

export function formatPaperBench(rows: PaperRow[]): string {
  const lines = [
    `Figure 6 on ${cpuTitle()}: mean (median) ms per 512×512 image, speed-up of the mean against FP32, size ratio`,
    '| model | threads | FP32 | int8 static | int8 dynamic (ConvInteger) | static speed-up | dynamic speed-up | size static / dynamic | agreement static / dynamic (mIoU, cosine) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    for (const [threads, variants] of Object.entries(row.runs)) {
      const [f, s, d] = variants.map(mean) as [number, number, number];
      const cell = (v: number[]) => `${mean(v).toFixed(0)} (${median(v).toFixed(0)})`;
      const ratio = (x: number) => (x >= 1 ? `${x.toFixed(2)}×` : `${x.toFixed(2)}× (slower)`);
      lines.push(`| ${row.model} | ${threads} | ${cell(variants[0]!)} | ${cell(variants[1]!)} | ${cell(variants[2]!)} | ${ratio(f / s)} | ${ratio(f / d)} | `
        + `${(row.bytes[1]! / row.bytes[0]!).toFixed(3)} / ${(row.bytes[2]! / row.bytes[0]!).toFixed(3)} | `
        + `${row.agreement.static.iou?.toFixed(3) ?? '–'}, ${row.agreement.static.cosine.toFixed(4)} / ${row.agreement.dynamic.iou?.toFixed(3) ?? '–'}, ${row.agreement.dynamic.cosine.toFixed(4)} |`);
    }
  }
  lines.push('', 'Distribution (ms: min / q1 / median / q3 / max over the runs):');
  for (const row of rows) {
    for (const [threads, variants] of Object.entries(row.runs)) {
      lines.push(`  ${row.model} ${threads}T  ${variants.map((v, i) => { const b = boxStats(v); return `${VARIANTS[i]} ${[b.min, b.q1, b.median, b.q3, b.max].map((x) => x.toFixed(0)).join('/')}`; }).join('   ')}`);
    }
  }
  lines.push('', `Quantization time: ${rows.map((r) => `${r.model} static ${r.quantizeSeconds.static.toFixed(0)} s, dynamic ${r.quantizeSeconds.dynamic.toFixed(0)} s`).join('; ')}`);
  lines.push('Random weights (torchvision architectures, seed 0): speed and size are those of the real models; agreement only shows the int8 copies compute the same function.');
  return lines.join('\n');
}

export function paperBoxPlot(rows: PaperRow[]): string {
  const groups: BoxGroup[] = rows.flatMap((row) => Object.entries(row.runs).map(([threads, variants]) => ({
    label: `${row.model.replace('_resnet', ' R')} ${threads}T`,
    series: variants.map((values, i) => ({ label: VARIANTS[i]!, values })),
  })));
  return boxPlotSvg('DeepLabV3 / FCN, 512×512: FP32 vs int8 static vs int8 dynamic (ConvInteger)', 'latency per image (ms)', groups,
    `${cpuTitle()} — ${new Date().toISOString().slice(0, 16)}Z, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

/** Writes paper.txt and paper.svg into `dir` and returns their paths. */
export function writePaperReport(rows: PaperRow[], dir: string): { text: string; svg: string } {
  fs.mkdirSync(dir, { recursive: true });
  const text = path.join(dir, 'paper.txt');
  const svg = path.join(dir, 'paper.svg');
  fs.writeFileSync(text, `${formatPaperBench(rows)}\n`);
  fs.writeFileSync(svg, paperBoxPlot(rows));
  return { text, svg };
}
