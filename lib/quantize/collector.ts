// Collects calibration tensors arriving one message at a time (msg.tensor, see lib/contract.ts).
import path from 'node:path';
import { BUNDLED_SAMPLES, insidePackage, isBundled } from '../bundled';
import { PACKAGE_ROOT } from '../package-root';
import { assertTensor } from '../contract';
import { PipelineError } from '../errors';
import { UPLOAD_FOLDER } from '../model-files/upload';
import type { CalibrationSample } from './calibrate';

/**
 * `<name>.int8.onnx` next to the float model, or in `<userDir>/models/` for a model in the package's folder (a bundled
 * model): `npm update` replaces that folder, and it may not be writable. That is where uploaded models live too, so
 * the model configuration's file list offers it.
 */
export function int8ModelPath(modelPath: string, userDir: string, packageRoot = PACKAGE_ROOT): string {
  const base = path.basename(modelPath).replace(/\.onnx$/i, '');
  const dir = insidePackage(modelPath, packageRoot) ? path.join(userDir, UPLOAD_FOLDER) : path.dirname(modelPath);
  return path.join(dir, `${base}.int8.onnx`);
}

/** A file as a model configuration's file field takes it: relative to the user directory when inside it. */
export function modelFileSetting(file: string, userDir: string): string {
  const relative = path.relative(path.resolve(userDir), path.resolve(file));
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.resolve(file);
}

/** The calibration folder a setting names: `bundled:samples` (the package's sample pictures), else a path (relative: to userDir). */
export function calibrationFolderPath(spec: string, userDir: string, packageRoot = PACKAGE_ROOT): string {
  const text = spec.trim();
  if (text === BUNDLED_SAMPLES) return path.join(packageRoot, 'samples');
  if (isBundled(text)) {
    throw new PipelineError('bad-bundled-name', `"${text}" does not name the bundled sample pictures; use ${BUNDLED_SAMPLES} or the path of a folder`, { path: text });
  }
  return path.resolve(userDir, text);
}

export class CalibrationCollector {
  private samples: CalibrationSample[] = [];
  private dims: number[] | undefined;

  constructor(readonly target: number) {}

  get count(): number {
    return this.samples.length;
  }

  get full(): boolean {
    return this.samples.length >= this.target;
  }

  /** Copies a float32 msg.tensor (the Buffer may be shared with other wires) and returns the new count. */
  add(tensor: unknown, inputName: string): number {
    // The type first: a uint8 tensor from mlops-tensor is the likely mistake, and its size check would only confuse.
    const claimed = (tensor as { type?: unknown } | null | undefined)?.type;
    if (typeof claimed === 'string' && claimed !== 'float32') {
      throw new PipelineError('type-mismatch', `msg.tensor has type ${claimed}; calibration needs float32 tensors, set mlops-tensor to float32 output`,
        { input: inputName, expected: 'float32', received: claimed });
    }
    const t = assertTensor(tensor, 'msg.tensor');
    const { dims } = t;
    const count = t.data.length / 4;
    if (this.dims && this.dims.join('x') !== dims.join('x')) {
      throw new PipelineError('shape-mismatch', `msg.tensor has shape [${dims}] but earlier calibration tensors had [${this.dims}]; resize all images alike`, { input: inputName, expected: `[${this.dims}]`, received: `[${dims}]` });
    }
    this.dims = dims;
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(t.data);
    this.samples.push({ [inputName]: { data, dims } });
    return this.samples.length;
  }

  /** The collected samples; the collector starts over. */
  take(): CalibrationSample[] {
    const taken = this.samples;
    this.samples = [];
    this.dims = undefined;
    return taken;
  }
}
