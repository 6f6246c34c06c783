// One loaded model shared by the nodes that use it: reference counted, loaded on first use, unloaded when the
// last user leaves or the owner closes (redeploy). Knows nothing of Node-RED; mlops-model wraps it.
import { SharedResource } from '../shared-resource';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors';
import type { ModelInfo } from '../onnx';
import { describeLoadError, loadModelInfoOffThread, modelDisplayName, warmupInputs } from './model-source';
import type { SessionSettings } from './protocol';
import type { ModelFeed, ModelIdentity, ModelRunResult } from './types';
import { WorkerPool } from './worker-pool';

export type ModelState = 'idle' | 'loading' | 'ready' | 'error';

export interface ModelHostOptions {
  modelPath: string;
  session: SessionSettings;
  workers: number;
  warmup: boolean;
  /** Set when the configured path could not be resolved: every load fails with it. */
  pathError?: PipelineError;
  /** Who the model is (a store model knows); else taken from its metadata, file name and hash once loaded. */
  identity?: ModelIdentity;
  /** Told about every state change, with the error for 'error'. */
  onState?(state: ModelState, error?: PipelineError): void;
}

export class ModelHost {
  /** The model loads for its first user and unloads after its last. */
  private readonly users = new SharedResource({ onFirstUser: () => void this.ready().catch(() => undefined), onLastUser: () => this.unload() });
  private pool: WorkerPool | undefined;
  private loading: Promise<ModelInfo> | undefined;
  private loaded: ModelInfo | undefined;
  private described: ModelInfo | undefined;
  private readonly closing = new Set<Promise<void>>();
  private currentState: ModelState = 'idle';
  /** Counts unloads: a load that started before one must not create workers after it. */
  private generation = 0;
  private perWorkerBytes: number | undefined;
  private identified: ModelIdentity | undefined;

  constructor(private readonly options: ModelHostOptions) {}

  get modelPath(): string { return this.options.modelPath; }
  get state(): ModelState { return this.currentState; }
  get info(): ModelInfo | undefined { return this.loaded; }
  get workers(): number { return this.options.workers; }
  /** About how much memory each worker took while loading (session, arena after warm-up), once loaded. */
  get memoryPerWorkerBytes(): number | undefined { return this.loaded ? this.perWorkerBytes : undefined; }
  get userCount(): number { return this.users.userCount; }
  /** Name, version and sha256 of the loaded model (msg.model of every result). */
  get identity(): ModelIdentity | undefined { return this.identified; }
  /** Model name and version from its metadata (or file name), known as soon as the file was read. */
  get displayName(): string { return modelDisplayName(this.described, this.options.modelPath); }

  register(userId: string): void {
    this.users.register(userId);
  }

  deregister(userId: string): Promise<void> {
    return this.users.deregister(userId);
  }

  ready(): Promise<ModelInfo> {
    this.loading ??= this.load();
    return this.loading;
  }

  async run(feed: ModelFeed, fetch?: readonly string[]): Promise<ModelRunResult> {
    await this.ready();
    if (!this.pool) throw new PipelineError('model-closed', 'the model was unloaded (redeploy) before this message ran');
    const result = await this.pool.run(feed, fetch);
    return this.identified ? { ...result, model: this.identified } : result;
  }

  /** Unloads and waits until every worker thread has exited. */
  async close(): Promise<void> {
    this.users.clear();
    this.unload();
    await Promise.all([...this.closing]);
  }

  private setState(state: ModelState, error?: PipelineError): void {
    this.currentState = state;
    this.options.onState?.(state, error);
  }

  private unload(): void {
    this.generation++;
    const pool = this.pool;
    this.pool = undefined;
    this.loading = undefined;
    this.loaded = undefined;
    if (pool) {
      const closed = pool.close().finally(() => this.closing.delete(closed));
      this.closing.add(closed);
    }
    this.setState('idle');
  }

  private async load(): Promise<ModelInfo> {
    this.setState('loading');
    const { modelPath } = this.options;
    let pool: WorkerPool | undefined;
    const generation = this.generation;
    try {
      if (this.options.pathError) throw this.options.pathError;
      const info = await loadModelInfoOffThread(modelPath);
      if (this.generation !== generation) throw closedWhileLoading();
      this.described = info;
      pool = new WorkerPool({ modelPath, session: this.options.session, warmup: this.options.warmup ? warmupInputs(info) : [] },
        Math.max(1, Math.floor(this.options.workers)));
      this.pool = pool;
      const identity = Promise.resolve(this.options.identity ?? fileIdentity(modelPath, info));
      identity.catch(() => undefined); // awaited below; a load failure must not leave it unhandled
      const rssBefore = process.memoryUsage.rss();
      await pool.start().catch((err: Error) => {
        throw this.pool === pool ? describeLoadError(err.message, modelPath, info) : closedWhileLoading();
      });
      if (this.pool !== pool) throw closedWhileLoading();
      // Threads share the process: its growth while the sessions were created and warmed up is theirs (roughly:
      // other loads at the same moment count too).
      this.perWorkerBytes = Math.max(0, process.memoryUsage.rss() - rssBefore) / pool.workerCount;
      this.identified = await identity;
      if (this.pool !== pool) throw closedWhileLoading();
      this.loaded = info;
      this.setState('ready');
      return info;
    } catch (err) {
      const error = err instanceof PipelineError ? err : new PipelineError('load-failed', String((err as Error).message ?? err));
      if (this.pool === pool && this.generation === generation) {
        this.pool = undefined;
        this.setState('error', error);
      }
      throw error;
    }
  }
}

/** sha256 (hex) of a file, read in chunks so that a large model does not hold up the event loop. */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** For a plain file: metadata name and version, else the file name and the first 12 hex digits of its sha256. */
async function fileIdentity(modelPath: string, info: ModelInfo): Promise<ModelIdentity> {
  const sha256 = await sha256File(modelPath);
  return { name: info.metadata.name || path.basename(modelPath, '.onnx'), version: info.metadata.version || sha256.slice(0, 12), sha256 };
}

function closedWhileLoading(): PipelineError {
  return new PipelineError('model-closed', 'the model was unloaded (redeploy) while it was loading');
}
