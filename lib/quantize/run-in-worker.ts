// Runs a quantization job in a worker thread: ONNX Runtime's session creation and inference block the thread
// they run on, and calibration makes many inferences.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PipelineError } from '../errors';
import type { JobProgress, QuantizeJob, QuantizeSummary } from './job';
import type { FromQuantizeWorker } from './worker-protocol';

/** `signal` stops the worker (e.g. when the node is closed); the promise then rejects with code `cancelled`. */
export function runQuantizeJobInWorker(job: QuantizeJob, onProgress: JobProgress = () => {}, signal?: AbortSignal): Promise<QuantizeSummary> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: job });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (reply: FromQuantizeWorker) => {
      if (reply.kind === 'progress') onProgress(reply.stage, reply.done, reply.total);
      else if (reply.kind === 'done') settle(() => resolve(reply.summary));
      else settle(() => reject(reply.code ? new PipelineError(reply.code, reply.message, reply.details) : new Error(reply.message)));
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the quantization worker stopped unexpectedly (exit code ${code})`))));
    signal?.addEventListener('abort', () => settle(() => reject(new PipelineError('cancelled', 'the quantization was cancelled because the node was stopped', {}))), { once: true });
  });
}
