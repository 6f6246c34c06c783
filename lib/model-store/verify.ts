// The checks a version passes before the store activates it, in order; the first that fails names itself.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { PipelineError } from '../errors';
import { readModelInfo, OnnxFormatError, type ModelInfo } from '../onnx';
import { describeLoadError } from '../inference/model-source';
import { signatureChanges, type Manifest } from './manifest';

const VERIFY_CHILD = path.join(__dirname, 'verify-child.js');

export const sha256Of = (bytes: Uint8Array): string => crypto.createHash('sha256').update(bytes).digest('hex');

/** Check 1: the bytes are an ONNX model. */
export function parseModel(bytes: Buffer, label: string): ModelInfo {
  try {
    return readModelInfo(bytes);
  } catch (err) {
    const reason = err instanceof OnnxFormatError ? err.message : String(err);
    throw new PipelineError('store-check-parse', `check "parses" failed: ${label} is ${reason}; upload an .onnx file or a .tar.gz/.zip bundle holding model.onnx`,
      { check: 'parses', reason });
  }
}

/** Check 2: the sha256 given in the bundle's manifest matches model.onnx. */
export function checkSha256(actual: string, expected: string | undefined): void {
  if (expected && expected !== actual) {
    throw new PipelineError('store-check-sha256', `check "sha256" failed: model.onnx has sha256 ${actual}, the manifest says ${expected}; ` +
      'the download is corrupt or the manifest belongs to another file', { check: 'sha256', actual, expected });
  }
}

/** Check 3: inputs and outputs still fit the flows built for the active version. */
export function checkSignature(active: Manifest | undefined, next: Pick<Manifest, 'inputs' | 'outputs'>, allowBreaking: boolean): void {
  if (!active || allowBreaking) return;
  const changes = signatureChanges(active, next);
  if (changes.length > 0) {
    throw new PipelineError('store-check-signature', `check "signature" failed: this version is not compatible with the active version ` +
      `${active.version} (${changes.join('; ')}); set "allowBreakingChange": true in the bundle's manifest.json (or --allow-breaking) ` +
      'if the flows were changed for it', { check: 'signature', changes: changes.join('; '), active: active.version });
  }
}

/** Check 4: onnxruntime loads the staged model (external data next to it) and runs one warm-up inference, in a child process. */
export function checkLoads(modelPath: string, info: ModelInfo, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [VERIFY_CHILD, modelPath], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      let report: { ok: boolean; message?: string } | undefined;
      try { report = JSON.parse(line) as { ok: boolean; message?: string }; } catch { /* crashed before reporting */ }
      if (report?.ok && !err) return resolve();
      const message = report?.message ?? (err?.killed ? `no answer within ${timeoutMs} ms` : `the runtime crashed (${err?.message ?? 'no report'})`);
      const cause = describeLoadError(message, modelPath, info);
      const explained = cause.code === 'external-data-missing'
        ? `the model keeps its weights in ${path.basename(String(cause.details.file))}, which the bundle does not hold; add it next to model.onnx in the bundle`
        : cause.message;
      reject(new PipelineError('store-check-load', `check "loads and warms up" failed: ${explained}`,
        { check: 'loads', reason: message, cause: cause.code }));
    });
  });
}
