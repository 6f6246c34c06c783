// How far a full-range int8 model's outputs are off on this CPU: its fused integer kernels (the session's own
// optimisation level) against the same QDQ model run with optimisation disabled, where ORT executes every
// QuantizeLinear/DequantizeLinear as float arithmetic and nothing can saturate. Measured on a calibration picture
// when one is at hand: the one the model's quantization record names, else the bundled samples when the model was
// made from a bundled model. Runs in a worker thread (two ORT sessions and their inferences block the thread).
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { readModelInfo } from '../onnx';
import { sha256Of } from '../model-store/verify';
import { AgreementMeter, shapeHints, type OutputAgreement } from './agreement';
import { imageToTensor, listImages, resolvePreprocessing, type ImagePreprocessing } from './calibration-images';
import { feeds, floatData } from './evaluate';
import type { FromSaturationWorker } from './worker-protocol';

/** A calibration picture the quantizer recorded, with the pre-processing it was calibrated with. */
export interface CalibrationSampleRef {
  files: string[];
  preprocessing: Partial<ImagePreprocessing>;
}

export type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface SaturationCheckRequest {
  modelPath: string;
  /** The level the model is served with: what decides whether ORT fuses the integer kernels. */
  optimization: OptimizationLevel;
  /** The package's models/ and samples/ folders. */
  bundledModelsDir: string;
  bundledSamplesDir: string;
}

export interface SaturationCheck {
  /** Pictures measured on and where they came from; absent when none was at hand. */
  sample?: { files: string[]; origin: 'recorded' | 'bundled' };
  /** The judged output(s), as in agreement.ts; absent when nothing could be measured. */
  agreement?: OutputAgreement[];
  /** Why nothing was measured. */
  reason?: string;
}

/** Most pictures measured on: enough to say something, few enough to take a moment on a device. */
const MOST_PICTURES = 3;

function recordedSample(metadata: Record<string, string>): CalibrationSampleRef | undefined {
  try {
    const record = JSON.parse(metadata.quantization ?? '{}') as { calibrationSample?: CalibrationSampleRef };
    return record.calibrationSample;
  } catch {
    return undefined;
  }
}

/** The bundled samples, when the model was quantized from one of the bundled models (its source_sha256). */
function bundledSample(metadata: Record<string, string>, request: SaturationCheckRequest): string[] | undefined {
  const source = metadata.source_sha256;
  if (!source || !fs.existsSync(request.bundledModelsDir) || !fs.existsSync(request.bundledSamplesDir)) return undefined;
  const models = fs.readdirSync(request.bundledModelsDir).filter((f) => f.endsWith('.onnx'));
  const fromBundled = models.some((f) => sha256Of(fs.readFileSync(path.join(request.bundledModelsDir, f))) === source);
  return fromBundled ? listImages(request.bundledSamplesDir) : undefined;
}

export async function checkSaturation(request: SaturationCheckRequest): Promise<SaturationCheck> {
  const bytes = fs.readFileSync(request.modelPath);
  const info = readModelInfo(bytes);
  const recorded = recordedSample(info.metadata);
  const recordedFiles = (recorded?.files ?? []).filter((f) => fs.existsSync(f));
  const bundled = recordedFiles.length > 0 ? undefined : bundledSample(info.metadata, request);
  const files = (recordedFiles.length > 0 ? recordedFiles : bundled ?? []).slice(0, MOST_PICTURES);
  if (files.length === 0) {
    return { reason: recorded ? `its calibration picture ${recorded.files[0] ?? ''} is not on this device` : 'no calibration picture is at hand' };
  }
  const preprocessing = resolvePreprocessing(info, recordedFiles.length > 0 ? recorded!.preprocessing : {});
  const inputName = preprocessing.name ?? info.inputs[0]?.name ?? 'input';
  const ort = await import('onnxruntime-node');
  const reference = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  const candidate = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: request.optimization });
  const meter = new AgreementMeter(0.5, shapeHints(info));
  try {
    const names = reference.outputNames.slice(0, 1);
    for (const file of files) {
      const sample = { [inputName]: await imageToTensor(file, preprocessing) };
      const a = await reference.run(feeds(ort, sample, reference), names);
      const b = await candidate.run(feeds(ort, sample, candidate), names);
      for (const name of names) {
        const da = floatData(a[name]!);
        const db = b[name] ? floatData(b[name]) : undefined;
        if (da && db) meter.add(name, da, db, a[name]!.dims);
      }
    }
  } finally {
    await reference.release();
    await candidate.release();
  }
  return { sample: { files, origin: recordedFiles.length > 0 ? 'recorded' : 'bundled' }, agreement: meter.results() };
}

/** checkSaturation in a worker thread, so the event loop stays free; a failure is reported, not thrown. */
export function checkSaturationInWorker(request: SaturationCheckRequest): Promise<SaturationCheck> {
  return new Promise((resolve) => {
    const worker = new Worker(path.join(__dirname, 'saturation-worker.js'), { workerData: request });
    let settled = false;
    const settle = (result: SaturationCheck) => {
      if (settled) return;
      settled = true;
      resolve(result);
      void worker.terminate();
    };
    worker.on('message', (reply: FromSaturationWorker) => settle(reply.check));
    worker.on('error', (err) => settle({ reason: `the measurement failed: ${err.message}` }));
    worker.on('exit', (code) => settle({ reason: `the measurement stopped (exit code ${code})` }));
  });
}

/** The sentence the warning gets: what was measured, on what, or why nothing was. */
export function describeSaturationCheck(check: SaturationCheck): string {
  const judged = check.agreement?.[0];
  if (!check.sample || !judged) return `agreement not measured: ${check.reason ?? 'no calibration picture is at hand'}`;
  const pictures = check.sample.files.map((f) => path.basename(f)).join(', ');
  const origin = check.sample.origin === 'recorded' ? "the model's calibration picture" : 'the bundled sample pictures';
  return `measured on this CPU on ${origin} (${pictures}): ${judged.metric} ${judged.score.toFixed(4)} (cosine ${judged.cosine.toFixed(4)}, max abs diff ${judged.maxAbsDiff.toPrecision(3)}) `
    + 'between its int8 kernels and the same int8 model computed without saturation';
}
