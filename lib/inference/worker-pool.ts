// A fixed set of worker threads, each owning one InferenceSession of the same model.
// Jobs wait in FIFO order for a free worker; bounding that wait is BoundedQueue's job.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PipelineError } from '../errors';
import type { FromWorker, ToWorker, WireTensor, WorkerSetup } from './protocol';
import type { ModelFeed, ModelRunResult } from './types';
import { diagnostic } from '../diagnostics';

const WORKER_SCRIPT = path.join(__dirname, 'inference-worker.js');
// Last resort for a worker that neither loads nor closes (a hung native call).
const CLOSE_GRACE_MS = 60000;

let liveWorkers = 0;

interface Job {
  id: number;
  feed: ModelFeed;
  fetch?: string[];
  queuedAt: number;
  resolve(result: ModelRunResult): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Input memory shared with the worker: free again once the worker answered the job. */
  scratch?: SharedArrayBuffer;
  job?: Job;
  startedAt?: number;
}

export class WorkerPool {
  /** @internal Test hook: worker threads started by any pool and not yet exited (the leak check for redeploys). */
  static liveWorkerCount(): number {
    return liveWorkers;
  }

  private readonly slots = new Set<Slot>();
  private readonly waiting: Job[] = [];
  private nextJobId = 1;
  private closing: Promise<void> | undefined;
  private brokenReason: Error | undefined;

  constructor(private readonly setup: WorkerSetup, private readonly size: number) {}

  /** Starts every worker; resolves when all sessions are created and warmed up, rejects with the first load error. */
  start(): Promise<void> {
    const starts: Promise<void>[] = [];
    for (let i = 0; i < this.size; i++) starts.push(this.spawn());
    return Promise.all(starts).then(() => undefined, async (err: Error) => {
      await this.close();
      throw err;
    });
  }

  get workerCount(): number { return this.size; }
  get waitingCount(): number { return this.waiting.length; }
  get busyCount(): number { return [...this.slots].filter((s) => s.job).length; }

  /** `fetch`: output names to return (all when absent); onnxruntime copies out only these. */
  run(feed: ModelFeed, fetch?: readonly string[]): Promise<ModelRunResult> {
    if (this.closing) return Promise.reject(new PipelineError('model-closed', 'the model is being unloaded (redeploy); send the message again once it is ready'));
    if (this.brokenReason) return Promise.reject(this.brokenReason);
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextJobId++, feed, fetch: fetch ? [...fetch] : undefined, queuedAt: performance.now(), resolve, reject });
      this.dispatch();
    });
  }

  /** @internal Test hook: fault injection, kills a worker the way a native crash would. */
  async killOneWorker(): Promise<void> {
    const slot = [...this.slots].find((s) => s.job) ?? [...this.slots][0];
    if (slot) await slot.worker.terminate();
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const closed = new PipelineError('model-closed', 'the model was unloaded (redeploy) before this message ran');
    for (const job of this.waiting.splice(0)) job.reject(closed);
    await Promise.all([...this.slots].map((slot) => this.stopWorker(slot)));
  }

  private stopWorker(slot: Slot): Promise<void> {
    return new Promise((resolve) => {
      const lastResort = setTimeout(() => void slot.worker.terminate(), CLOSE_GRACE_MS);
      lastResort.unref();
      slot.worker.once('exit', () => {
        clearTimeout(lastResort);
        resolve();
      });
      // Never terminate a worker while onnxruntime creates its session: the native load finishing on a torn-down
      // thread aborts the whole process. A loading worker is told to close as soon as it reports ready.
      if (slot.ready) slot.worker.postMessage({ kind: 'close' } satisfies ToWorker);
    });
  }

  private spawn(): Promise<void> {
    const worker = new Worker(WORKER_SCRIPT, { workerData: this.setup });
    liveWorkers++;
    const slot: Slot = { worker, ready: false };
    this.slots.add(slot);
    return new Promise((resolve, reject) => {
      let settled = false;
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'ready') {
          slot.ready = true;
          if (this.closing) worker.postMessage({ kind: 'close' } satisfies ToWorker);
          settled = true;
          resolve();
          this.dispatch();
        } else if (message.kind === 'load-failed') {
          settled = true;
          reject(new Error(message.message));
        } else {
          this.finish(slot, message);
        }
      });
      worker.on('error', (err) => {
        if (!settled) { settled = true; reject(err); }
      });
      worker.on('exit', (code) => {
        liveWorkers--;
        this.slots.delete(slot);
        if (!settled) { settled = true; reject(new Error(`the inference worker exited with code ${code} while loading the model`)); }
        const duringRun = slot.job !== undefined;
        if (slot.job) {
          slot.job.reject(new PipelineError('worker-crashed',
            `the inference worker crashed (exit code ${code}) while running this message; it is being replaced, and the next message runs on the new worker`,
            { code }));
          slot.job = undefined;
        }
        if (slot.ready && !this.closing) {
          diagnostic('inference worker exited with code %d%s; replacing it', code, duringRun ? ' during a run' : '');
          this.replace();
        }
      });
    });
  }

  private replace(): void {
    this.spawn().catch((err: Error) => {
      this.brokenReason = new PipelineError('worker-crashed', `the inference worker could not be restarted: ${err.message}`);
      for (const job of this.waiting.splice(0)) job.reject(this.brokenReason);
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.waiting.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = this.waiting.shift()!;
      slot.job = job;
      slot.startedAt = performance.now();
      slot.worker.postMessage({ kind: 'run', jobId: job.id, feed: wireFeed(job.feed, slot), fetch: job.fetch } satisfies ToWorker);
    }
  }

  private finish(slot: Slot, message: Extract<FromWorker, { jobId: number }>): void {
    const job = slot.job;
    if (!job || job.id !== message.jobId) return;
    slot.job = undefined;
    if (message.kind === 'run-failed') {
      job.reject(new PipelineError('inference-failed', `onnxruntime could not run the model: ${message.message}`, { reason: message.message }));
    } else {
      const outputs: ModelRunResult['outputs'] = {};
      for (const [name, tensor] of Object.entries(message.outputs)) {
        outputs[name] = {
          data: Buffer.from(tensor.buffer, tensor.byteOffset, tensor.byteLength),
          type: tensor.type,
          dims: tensor.dims,
        };
      }
      job.resolve({ outputs, queueMs: slot.startedAt! - job.queuedAt, runMs: message.runMs });
    }
    this.dispatch();
  }
}

/**
 * The one unavoidable copy (the caller's Buffer may be shared): into the slot's scratch memory, shared with its
 * worker and reused message after message. A fresh buffer per message would cost its page faults on the main
 * thread (milliseconds for a 12 MB tensor); the worker copies out of the scratch for onnxruntime on its own thread.
 */
function wireFeed(feed: ModelFeed, slot: Slot): Record<string, WireTensor> {
  const entries = Object.entries(feed);
  let needed = 0;
  for (const [, tensor] of entries) needed += Math.ceil(tensor.data.byteLength / 8) * 8;
  if (!slot.scratch || slot.scratch.byteLength < needed) slot.scratch = new SharedArrayBuffer(Math.ceil(needed * 1.25));
  const scratch = new Uint8Array(slot.scratch);
  const wire: Record<string, WireTensor> = {};
  let offset = 0;
  for (const [name, tensor] of entries) {
    scratch.set(tensor.data, offset);
    wire[name] = { buffer: slot.scratch, byteOffset: offset, byteLength: tensor.data.byteLength, type: tensor.type, dims: tensor.dims };
    offset += Math.ceil(tensor.data.byteLength / 8) * 8;
  }
  return wire;
}
