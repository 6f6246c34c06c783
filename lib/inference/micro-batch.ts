// Micro-batching for models with a free batch dimension: requests that arrive within `maxDelayMs` (or while every
// worker is busy) run as one session.run on their inputs stacked along dimension 0, and each caller gets its own
// rows of every output back, in order. Requests only join a batch with the same input names, types, trailing
// dimensions and fetched outputs. An output whose first dimension is not the batch cannot be split: that group of
// requests then runs one by one, and batching is switched off for the rest of this batcher's life.
import type { ModelInfo } from '../onnx';
import type { ModelFeed, ModelRunResult } from './types';

export type RunFunction = (feed: ModelFeed, fetch?: readonly string[]) => Promise<ModelRunResult>;

export interface MicroBatchOptions {
  /** Most requests per run (rows may be more when a request carries several). 1 = off. */
  maxBatch: number;
  /** Longest a request waits for others while a worker is free. */
  maxDelayMs: number;
  /** Batches running at once (the model's workers). */
  concurrency: number;
}

export interface BatchedRunResult extends ModelRunResult {
  /** How many requests ran together in this one session.run. */
  batchSize: number;
}

interface Request {
  feed: ModelFeed;
  fetch?: readonly string[];
  key: string;
  rows: number;
  submittedAt: number;
  resolve(result: BatchedRunResult): void;
  reject(err: unknown): void;
}

/** True when every input's first dimension is free (symbolic), so requests can be stacked along it. */
export function hasFreeBatchDimension(info: ModelInfo): boolean {
  return info.inputs.length > 0 && info.inputs.every((input) => input.dims.length > 0 && typeof input.dims[0] !== 'number');
}

function batchKey(feed: ModelFeed, fetch?: readonly string[]): string {
  const inputs = Object.keys(feed).sort().map((name) => `${name}:${feed[name]!.type}:${feed[name]!.dims.slice(1).join('x')}`);
  return `${inputs.join('|')}>${fetch ? fetch.join(',') : '*'}`;
}

/** A batcher for this model, or undefined when batching is off (maxBatch 1) or the model has no free batch dimension. */
export function microBatcherFor(info: ModelInfo, run: RunFunction, options: MicroBatchOptions): MicroBatcher | undefined {
  return options.maxBatch > 1 && hasFreeBatchDimension(info) ? new MicroBatcher(run, options) : undefined;
}

export class MicroBatcher {
  private readonly waiting: Request[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private splittable = true;

  constructor(private readonly run: RunFunction, private readonly options: MicroBatchOptions) {}

  get waitingCount(): number { return this.waiting.length; }
  get runningCount(): number { return this.running; }

  submit(feed: ModelFeed, fetch?: readonly string[]): Promise<BatchedRunResult> {
    return new Promise((resolve, reject) => {
      const first = Object.values(feed)[0];
      this.waiting.push({ feed, fetch, key: batchKey(feed, fetch), rows: first?.dims[0] ?? 1, submittedAt: performance.now(), resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.running < this.options.concurrency && this.waiting.length > 0) {
      const oldest = this.waiting[0]!;
      const group = this.waiting.filter((r) => r.key === oldest.key).slice(0, this.batchLimit());
      const waited = performance.now() - oldest.submittedAt;
      if (group.length < this.batchLimit() && waited < this.options.maxDelayMs) {
        // A free worker and room in the batch: wait a little for more, at most until the oldest's delay is up.
        this.timer ??= setTimeout(() => { this.timer = undefined; this.dispatch(); }, this.options.maxDelayMs - waited);
        return;
      }
      for (const request of group) this.waiting.splice(this.waiting.indexOf(request), 1);
      this.running++;
      this.runGroup(group).finally(() => {
        this.running--;
        this.dispatch();
      });
    }
  }

  private batchLimit(): number {
    return this.splittable ? Math.max(1, Math.floor(this.options.maxBatch)) : 1;
  }

  private async runGroup(group: Request[]): Promise<void> {
    const startedAt = performance.now();
    if (group.length === 1) {
      const request = group[0]!;
      await this.run(request.feed, request.fetch).then(
        (result) => request.resolve({ ...result, queueMs: result.queueMs + (startedAt - request.submittedAt), batchSize: 1 }),
        (err: unknown) => request.reject(err));
      return;
    }
    let result: ModelRunResult;
    try {
      result = await this.run(stackFeeds(group.map((r) => r.feed)), group[0]!.fetch);
    } catch (err) {
      // One bad request must not fail the others: each runs alone and gets its own answer.
      await Promise.all(group.map((request) => this.runGroup([request])));
      return;
    }
    const totalRows = group.reduce((sum, r) => sum + r.rows, 0);
    if (!Object.values(result.outputs).every((o) => o.dims[0] === totalRows)) {
      this.splittable = false;
      await Promise.all(group.map((request) => this.runGroup([request])));
      return;
    }
    let row = 0;
    for (const request of group) {
      const outputs: ModelRunResult['outputs'] = {};
      for (const [name, output] of Object.entries(result.outputs)) {
        const rowBytes = output.data.byteLength / totalRows;
        // Its own memory at offset 0 (Buffer.alloc is never pooled), as the message contract promises.
        const data = Buffer.alloc(rowBytes * request.rows);
        output.data.copy(data, 0, row * rowBytes, (row + request.rows) * rowBytes);
        outputs[name] = { data, type: output.type, dims: [request.rows, ...output.dims.slice(1)] };
      }
      row += request.rows;
      request.resolve({ ...result, outputs, queueMs: result.queueMs + (startedAt - request.submittedAt), batchSize: group.length });
    }
  }
}

/** Inputs of several requests stacked along dimension 0 (one copy). */
export function stackFeeds(feeds: ModelFeed[]): ModelFeed {
  const stacked: ModelFeed = {};
  for (const name of Object.keys(feeds[0]!)) {
    const parts = feeds.map((f) => f[name]!);
    const rows = parts.reduce((sum, p) => sum + p.dims[0]!, 0);
    stacked[name] = { data: Buffer.concat(parts.map((p) => p.data)), type: parts[0]!.type, dims: [rows, ...parts[0]!.dims.slice(1)] };
  }
  return stacked;
}
