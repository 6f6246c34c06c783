// The V2 inference service: served models by name, each behind the same bounded queue and micro-batcher as
// mlops-infer, so an overloaded model answers 503 at once instead of queueing without bound. Routing works on the
// path below the mount point; it knows nothing of Node-RED or of the HTTP framework.
import { BoundedQueue } from '../inference/bounded-queue';
import { microBatcherFor, type MicroBatcher } from '../inference/micro-batch';
import type { ModelFeed, ModelRunResult } from '../inference/types';
import { isPipelineError } from '../errors';
import type { ModelInfo } from '../onnx';
import { inferResponse, modelMetadata, parseInferRequest, V2Error } from './v2-protocol';

/** Where the V2 API lives below httpNodeRoot (KServe V2 / Triton paths start with /v2). */
export const V2_PATH = '/v2';

/** What a served model offers (an mlops-model config node does). */
export interface ServableModel {
  ready(): Promise<ModelInfo>;
  readonly info: ModelInfo | undefined;
  run(feed: ModelFeed, fetch?: readonly string[]): Promise<ModelRunResult>;
  readonly workers?: number;
  /** Store models know their version. */
  readonly identity?: { version: string };
}

export interface ServeOptions {
  /** Requests waiting beyond those being run; more → 503. */
  queueSize: number;
  /** Micro-batching: requests per session.run (1 = off) and how long one waits for others. */
  batchSize: number;
  batchDelayMs: number;
}

export interface V2Reply { status: number; body: unknown }

interface Served {
  name: string;
  model: ServableModel;
  queue: BoundedQueue;
  options: ServeOptions;
  batcher?: { info: ModelInfo; batcher: MicroBatcher | undefined };
  loadError?: unknown;
}

const error = (status: number, message: string): V2Reply => ({ status, body: { error: message } });

export class V2Service {
  private readonly served = new Map<string, Served>();

  constructor(private readonly server: { name: string; version: string }) {}

  get modelNames(): string[] { return [...this.served.keys()]; }

  /** Serves `model` as `name` until the returned function is called. A name already served → throws. */
  serve(name: string, model: ServableModel, options: ServeOptions): () => void {
    if (this.served.has(name)) throw new Error(`the name "${name}" is already served by another model`);
    const entry: Served = {
      name, model, options,
      queue: new BoundedQueue({ capacity: options.queueSize, policy: 'queue', concurrency: (model.workers ?? 1) * Math.max(1, options.batchSize) }),
    };
    model.ready().then(() => { entry.loadError = undefined; }, (err: unknown) => { entry.loadError = err; });
    this.served.set(name, entry);
    return () => { if (this.served.get(name) === entry) this.served.delete(name); };
  }

  /** Answers one request; `readBody` is only called for infer requests. */
  async handle(method: string, path: string, readBody: () => Promise<unknown>): Promise<V2Reply> {
    const parts = path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'v2') parts.shift();
    try {
      if (parts.length === 0 && method === 'GET') return { status: 200, body: { ...this.server, extensions: [] } };
      if (parts[0] === 'health' && parts.length === 2 && method === 'GET') {
        if (parts[1] === 'live') return { status: 200, body: { live: true } };
        if (parts[1] === 'ready') {
          const ready = [...this.served.values()].every((s) => s.model.info !== undefined);
          return ready ? { status: 200, body: { ready: true } } : { status: 400, body: { ready: false, error: 'not every served model is loaded yet' } };
        }
      }
      if (parts[0] === 'models' && parts.length >= 2) return await this.modelRoute(method, parts.slice(1), readBody);
      return error(404, `no such V2 endpoint: ${method} ${path}`);
    } catch (err) {
      if (err instanceof V2Error) return error(err.status, err.message);
      if (isPipelineError(err) && err.code === 'queue-full') return error(503, `model overloaded: ${err.message}`);
      if (isPipelineError(err) && ['shape-mismatch', 'type-mismatch', 'size-mismatch', 'inference-failed'].includes(err.code)) return error(400, err.message);
      return error(500, err instanceof Error ? err.message : String(err));
    }
  }

  private async modelRoute(method: string, parts: string[], readBody: () => Promise<unknown>): Promise<V2Reply> {
    const [name, ...rest] = parts as [string, ...string[]];
    const served = this.served.get(name);
    if (!served) throw new V2Error(404, `model "${name}" is not served here; served: ${this.modelNames.join(', ') || 'none'}`);
    const version = this.versionOf(served);
    if (rest[0] === 'versions') {
      if (rest[1] !== version) throw new V2Error(404, `model "${name}" has no version "${rest[1] ?? ''}"; loaded: ${version ?? 'none'}`);
      rest.splice(0, 2);
    }
    if (rest.length === 0 && method === 'GET') {
      const info = served.model.info;
      if (!info) throw new V2Error(503, this.notReady(served));
      return { status: 200, body: modelMetadata(name, version, info) };
    }
    if (rest.length === 1 && rest[0] === 'ready' && method === 'GET') {
      return served.model.info ? { status: 200, body: { name, ready: true } } : { status: 400, body: { name, ready: false, error: this.notReady(served) } };
    }
    if (rest.length === 1 && rest[0] === 'infer' && method === 'POST') return this.infer(served, version, readBody);
    throw new V2Error(rest.length === 1 && ['ready', 'infer'].includes(rest[0]!) ? 405 : 404, `no such V2 endpoint for model "${name}": ${method} /${rest.join('/')}`);
  }

  private notReady(served: Served): string {
    return served.loadError ? `model "${served.name}" failed to load: ${(served.loadError as Error).message}` : `model "${served.name}" is loading`;
  }

  private versionOf(served: Served): string | undefined {
    return served.model.identity?.version ?? served.model.info?.metadata.version;
  }

  private async infer(served: Served, version: string | undefined, readBody: () => Promise<unknown>): Promise<V2Reply> {
    if (served.loadError) throw new V2Error(503, this.notReady(served));
    const raw = await readBody();
    let body: unknown = raw;
    if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
      try {
        body = JSON.parse(raw.toString());
      } catch (err) {
        throw new V2Error(400, `the request body is not JSON (${(err as Error).message}); send application/json`);
      }
    }
    const info = served.model.info ?? await served.model.ready();
    const request = parseInferRequest(body, info);
    const outcome = await served.queue.submit(() => {
      const batcher = this.batcherFor(served, info);
      return batcher ? batcher.submit(request.feed, request.outputs) : served.model.run(request.feed, request.outputs);
    });
    if (outcome.dropped) throw new V2Error(503, 'model overloaded'); // the queue refuses rather than drops; kept for completeness
    const order = request.outputs ?? info.outputs.map((o) => o.name);
    return { status: 200, body: inferResponse(served.name, version, request.id, outcome.value.outputs, order) };
  }

  private batcherFor(served: Served, info: ModelInfo): MicroBatcher | undefined {
    if (served.batcher?.info !== info) {
      served.batcher = { info, batcher: microBatcherFor(info, (feed, fetch) => served.model.run(feed, fetch),
        { maxBatch: served.options.batchSize, maxDelayMs: served.options.batchDelayMs, concurrency: served.model.workers ?? 1 }) };
    }
    return served.batcher.batcher;
  }
}
