// Calibration time and peak memory of a large input (PP-OCRv4 det at 1024×1024) under a memory budget: each
// budget is measured in a fresh child process, so its peak RSS (getrusage maxrss) is its own.
// Exported for the bench runner; nothing runs on import. Run as a script it is the child.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface CalibrationMemoryRow {
  budgetMB: number;
  pictures: number;
  size: number;
  /** Seconds from the first calibration inference to the last. */
  calibrationSeconds: number;
  /** The whole quantization: prepare, calibrate, build, verify in ORT. */
  totalSeconds: number;
  peakRssBytes: number;
  inferencesPerInput: number;
  /** What the tool printed beforehand. */
  estimatedPeakBytes: number;
  activationBytes: number;
}

async function child(budgetMB: number, pictures: number, size: number): Promise<CalibrationMemoryRow> {
  const { quantizeModel } = await import('../lib/quantize');
  const { imageToTensor, resolvePreprocessing } = await import('../lib/quantize/calibration-images');
  const { PPOCR_DET_PATH } = await import('./quantization');
  const { renderTextImages } = await import('./text-images');
  const prep = resolvePreprocessing(undefined, { width: size, height: size, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 1 / 255, layout: 'NCHW' });
  const samples = [];
  for (const image of await renderTextImages(pictures, size, size, 1)) samples.push({ x: await imageToTensor(image, prep) });
  const started = performance.now();
  if (budgetMB === 0) {
    // The reference: the pictures and one float inference the way calibration runs it (no arena, 'basic').
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(fs.readFileSync(PPOCR_DET_PATH), { graphOptimizationLevel: 'basic', enableCpuMemArena: false });
    await session.run({ x: new ort.Tensor('float32', samples[0]!.x!.data, samples[0]!.x!.dims) });
    const seconds = (performance.now() - started) / 1000;
    return { budgetMB, pictures, size, calibrationSeconds: 0, totalSeconds: seconds, peakRssBytes: process.resourceUsage().maxRSS * 1024, inferencesPerInput: 1, estimatedPeakBytes: 0, activationBytes: 0 };
  }
  let first: number | undefined;
  let last = started;
  const { record } = await quantizeModel(fs.readFileSync(PPOCR_DET_PATH), samples, {
    mode: 'static', maxMemoryMB: budgetMB,
    onProgress: (stage) => { if (stage === 'calibrate') { first ??= performance.now(); last = performance.now(); } },
  });
  const estimate = record.calibration!;
  return {
    budgetMB, pictures, size, calibrationSeconds: (last - (first ?? started)) / 1000, totalSeconds: (performance.now() - started) / 1000,
    peakRssBytes: process.resourceUsage().maxRSS * 1024, inferencesPerInput: estimate.inferencesPerInput,
    estimatedPeakBytes: estimate.peakBytes, activationBytes: estimate.activationBytes,
  };
}

/** One fresh process per budget, one after the other (never side by side: they would share the 2 cores). */
export async function benchCalibrationMemory(options: { budgetsMB?: number[]; pictures?: number; size?: number; nice?: number } = {}): Promise<CalibrationMemoryRow[]> {
  const rows: CalibrationMemoryRow[] = [];
  for (const budget of options.budgetsMB ?? [256, 32]) {
    const args = [__filename, String(budget), String(options.pictures ?? 8), String(options.size ?? 1024)];
    const stdout = await new Promise<string>((resolve, reject) => {
      const proc = execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (err, out) => (err ? reject(err) : resolve(out)));
      if (options.nice !== undefined && proc.pid !== undefined) os.setPriority(proc.pid, options.nice);
    });
    rows.push(JSON.parse(stdout.trim().split('\n').pop()!) as CalibrationMemoryRow);
  }
  return rows;
}

export function formatCalibrationMemory(rows: CalibrationMemoryRow[]): string {
  const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
  return rows.map((r) => r.budgetMB === 0
    ? `reference: ${r.pictures} pictures in memory and one float inference as calibration runs it (no arena): peak RSS ${mib(r.peakRssBytes)}`
    : `budget ${String(r.budgetMB).padStart(4)} MiB: ${r.pictures} pictures ${r.size}x${r.size}, ${r.inferencesPerInput} inference(s) per picture, `
    + `calibration ${r.calibrationSeconds.toFixed(0)} s, whole quantization ${r.totalSeconds.toFixed(0)} s, peak RSS ${mib(r.peakRssBytes)} `
    + `(printed estimate: ${mib(r.estimatedPeakBytes)} besides ORT's work memory; ${mib(r.activationBytes)} of activations per picture)`).join('\n');
}

if (require.main === module) {
  const [budget, pictures, size] = process.argv.slice(2).map(Number);
  child(budget!, pictures!, size!).then((row) => console.log(JSON.stringify(row)), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
