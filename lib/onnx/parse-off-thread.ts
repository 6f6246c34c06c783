// Reads a model's description on a worker thread (see parse-worker.ts); the main thread only waits.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { OnnxFormatError, type ModelInfo, type OnnxFormatProblem } from './model-info';

/** A path to read in the worker, or bytes already read (transferred, not copied: the caller must not use them after). */
export type ParseRequest = { path: string } | { bytes: ArrayBuffer };

export type ParseReply =
  | { kind: 'info'; info: ModelInfo }
  | { kind: 'format'; problem: OnnxFormatProblem; reason: string }
  | { kind: 'fs'; code?: string; message: string };

const WORKER_SCRIPT = path.join(__dirname, 'parse-worker.js');

/**
 * Resolves with the ModelInfo; rejects with an OnnxFormatError (not a model, truncated, empty) or with the file
 * system's error (`code` ENOENT, EISDIR, …), as readModelInfo / fs.readFileSync would on the main thread.
 */
export function readModelInfoInWorker(source: { path: string } | { bytes: Uint8Array }): Promise<ModelInfo> {
  let request: ParseRequest;
  const transfer: ArrayBuffer[] = [];
  if ('path' in source) {
    request = { path: source.path };
  } else {
    const { bytes } = source;
    const whole = bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const buffer = whole ? bytes.buffer as ArrayBuffer : new Uint8Array(bytes).buffer as ArrayBuffer;
    transfer.push(buffer);
    request = { bytes: buffer };
  }
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SCRIPT, { workerData: request, transferList: transfer });
    let settled = false;
    worker.once('message', (reply: ParseReply) => {
      settled = true;
      if (reply.kind === 'info') resolve(reply.info);
      else if (reply.kind === 'format') reject(new OnnxFormatError(reply.problem, reply.reason));
      else reject(Object.assign(new Error(reply.message), { code: reply.code }));
    });
    worker.once('error', (err) => { settled = true; reject(err); });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the model reader stopped unexpectedly (exit code ${code})`));
    });
  });
}
