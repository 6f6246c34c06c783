// Segmentation post-processing off the main thread: a small pool of worker threads shared by every mlops-segment
// node of the process. Started on the first job, reference counted by its users, stopped when the last one leaves
// (a redeploy leaves no thread behind). The result equals segment() on the main thread; only where it runs differs.
import { SharedResource } from '../shared-resource';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OutputTensor, SegmentationResult } from '../contract';
import { PipelineError } from '../errors';
import { selectOutput } from './decode';
import { segment, type Segmentation, type SegmentInput, type SegmentOptions } from './index';
import { fromWire, type SegmentJob, type SegmentReply } from './offthread-protocol';
import { diagnostic } from '../diagnostics';

const WORKER_SCRIPT = path.join(__dirname, 'segment-worker.js');

/** A job before it has a worker: the message's own (read-only) Buffers, copied into the worker's scratch at dispatch. */
interface Pending {
  job: Omit<SegmentJob, 'output' | 'image'>;
  output: OutputTensor;
  image?: SegmentInput['image'];
  resolve(s: Segmentation): void;
  reject(e: Error): void;
}
/**
 * `scratch`: shared memory the worker reads its inputs from, reused job after job. Copying into memory that is
 * already mapped costs a fraction of a fresh allocation's page faults (megabytes per message).
 */
interface Slot { worker: Worker; pending?: Pending; scratch?: SharedArrayBuffer }

export class SegmentPool {
  /** The first user starts a worker at once (the first message does not pay for its start-up); the last one leaving stops them. */
  private readonly users = new SharedResource({ onFirstUser: () => { if (this.slots.size === 0) this.spawn(); }, onLastUser: () => this.stopAll() });
  private readonly slots = new Set<Slot>();
  private readonly waiting: Pending[] = [];
  private nextJobId = 1;

  /** `size` workers at most; by default one, two when the machine has more than two cores. */
  constructor(private readonly size = os.availableParallelism() > 2 ? 2 : 1) {}

  get workerCount(): number { return this.slots.size; }

  register(userId: string): void {
    this.users.register(userId);
  }

  deregister(userId: string): Promise<void> {
    return this.users.deregister(userId);
  }

  /** Stops the workers; jobs not yet answered fail with 'node-closed'. */
  private async stopAll(): Promise<void> {
    const slots = [...this.slots];
    this.slots.clear();
    for (const pending of [...this.waiting.splice(0), ...slots.flatMap((s) => (s.pending ? [s.pending] : []))]) pending.reject(closed());
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  /**
   * Picks the output on the main thread (a missing name fails at once, with the available names), then hands the
   * one output and the picture to a worker. Copies both once, into the worker's scratch: the message keeps its own.
   */
  run(input: SegmentInput, options: SegmentOptions): Promise<Segmentation> {
    if (!input.outputs || typeof input.outputs !== 'object') {
      return Promise.reject(new PipelineError('no-outputs', 'msg.outputs has no model outputs: connect this node after mlops-infer.'));
    }
    let name: string;
    let output: OutputTensor;
    try {
      ({ name, output } = selectOutput(input.outputs as Record<string, OutputTensor>, options.outputName, input.outputOrder));
    } catch (err) {
      return Promise.reject(err);
    }
    if (!output || !Buffer.isBuffer(output.data) || !Array.isArray(output.dims)) {
      return Promise.reject(new PipelineError('bad-output',
        `msg.outputs["${name}"] is not a model output ({ data: Buffer, type, dims }); connect this node after mlops-infer.`, { name }));
    }
    // A picture that is not a decoded image fails segment()'s first checks, before any heavy work: fail it here.
    if (input.image && !Buffer.isBuffer(input.image.data)) return segment(input, options);
    const job = { jobId: this.nextJobId++, outputName: name, geometry: input.geometry, metadata: input.metadata, options };
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, output, image: input.image, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const slot = [...this.slots].find((s) => !s.pending) ?? (this.slots.size < this.size ? this.spawn() : undefined);
      if (!slot) return;
      const pending = this.waiting.shift()!;
      slot.pending = pending;
      // Referenced while it works (a script awaiting the result must not exit), unreferenced while idle.
      slot.worker.ref();
      slot.worker.postMessage(this.wireJob(slot, pending));
    }
  }

  private wireJob(slot: Slot, pending: Pending): SegmentJob {
    const { output, image } = pending;
    const imageAt = Math.ceil(output.data.byteLength / 8) * 8;
    const needed = imageAt + (image?.data.byteLength ?? 0);
    if (!slot.scratch || slot.scratch.byteLength < needed) slot.scratch = new SharedArrayBuffer(Math.ceil(needed * 1.25));
    const scratch = new Uint8Array(slot.scratch);
    scratch.set(output.data, 0);
    if (image) scratch.set(image.data, imageAt);
    const job: SegmentJob = {
      ...pending.job,
      output: { type: output.type, dims: output.dims, data: { buffer: slot.scratch, byteOffset: 0, byteLength: output.data.byteLength } },
    };
    if (image) {
      const { data, encoded: _encoded, ...described } = image;
      job.image = { ...described, data: { buffer: slot.scratch, byteOffset: imageAt, byteLength: data.byteLength } };
    }
    return job;
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(WORKER_SCRIPT) };
    this.slots.add(slot);
    slot.worker.on('message', (reply: SegmentReply) => {
      const pending = slot.pending;
      if (!pending || pending.job.jobId !== reply.jobId) return;
      slot.pending = undefined;
      slot.worker.unref();
      if (reply.kind === 'done') pending.resolve(toSegmentation(reply));
      else pending.reject(reply.code ? new PipelineError(reply.code, reply.message, reply.details) : new Error(reply.message));
      this.dispatch();
    });
    slot.worker.on('error', () => undefined);
    slot.worker.on('exit', (code) => {
      if (!this.slots.delete(slot)) return; // stopped on purpose
      diagnostic('segmentation worker exited with code %d%s; the next message starts a new one', code, slot.pending ? ' during a job' : '');
      slot.pending?.reject(new PipelineError('worker-crashed',
        `the segmentation worker crashed (exit code ${code}) while post-processing this message; the next message starts a new one`, { code }));
      this.dispatch();
    });
    slot.worker.unref();
    return slot;
  }
}

function toSegmentation(reply: Extract<SegmentReply, { kind: 'done' }>): Segmentation {
  const { classMap, overlay, ...rest } = reply.result;
  const result: SegmentationResult = { ...rest, classMap: fromWire(classMap) };
  if (overlay) result.overlay = fromWire(overlay);
  return { result, annotations: reply.annotations, outputName: reply.outputName, reading: reply.reading };
}

function closed(): PipelineError {
  return new PipelineError('node-closed', 'the segmentation node was stopped (redeploy) before this message was post-processed');
}

/** The process's pool, shared by every mlops-segment node. */
export const sharedSegmentPool = new SegmentPool();
