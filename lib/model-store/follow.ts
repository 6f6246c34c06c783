// A store model as the nodes use it: `store:<name>` follows the active version, `store:<name>@<version>` stays put.
// Hot swap: when another process (the sm-plugin) activates a version, the new one is loaded and warmed up beside the
// old one; new runs go to it from then on, runs already handed to the old one finish there, then the old one closes.
// A version that fails to load leaves the old one serving and is reported through onSwapFailed.
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors';
import { ModelHost, sha256File, type ModelState } from '../inference/model-host';
import type { SessionSettings } from '../inference/protocol';
import type { ModelFeed, ModelIdentity, ModelRunResult } from '../inference/types';
import type { ModelInfo } from '../onnx';
import { ACTIVE_FILE, readActive } from './layout';
import type { ModelStore, ResolvedModel } from './store';

export interface StoreModelHostOptions {
  store: ModelStore;
  name: string;
  /** Pinned version; undefined follows the active one. */
  version?: string;
  session: SessionSettings;
  workers: number;
  warmup: boolean;
  /** Safety net beside fs.watch (which misses events on some file systems): re-read the active record this often. */
  pollMs?: number;
  onState?(state: ModelState, error?: PipelineError): void;
  onSwap?(from: ModelIdentity | undefined, to: ModelIdentity): void;
  onSwapFailed?(version: string, error: PipelineError): void;
}

interface Loaded { host: ModelHost; model: ResolvedModel; identity: ModelIdentity; running: number; retired: boolean }

export class StoreModelHost {
  private readonly users = new Set<string>();
  private current: Loaded | undefined;
  private first: Promise<ModelInfo> | undefined;
  /** The version being loaded for a swap, or the last one that failed (not retried until the record changes). */
  private pendingVersion: string | undefined;
  private failedVersion: string | undefined;
  private watcher: fs.FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: StoreModelHostOptions) {}

  get modelPath(): string { return this.current?.model.modelPath ?? path.join(this.options.store.root, this.options.name); }
  get info(): ModelInfo | undefined { return this.current?.host.info; }
  get identity(): ModelIdentity | undefined { return this.current?.identity; }
  get workers(): number { return this.options.workers; }
  get memoryPerWorkerBytes(): number | undefined { return this.current?.host.memoryPerWorkerBytes; }
  get displayName(): string { return `${this.options.name} ${this.current?.model.version ?? this.options.version ?? ''}`.trim(); }

  register(userId: string): void {
    this.users.add(userId);
    void this.ready().catch(() => undefined);
  }

  deregister(userId: string): void {
    if (this.users.delete(userId) && this.users.size === 0) void this.close();
  }

  ready(): Promise<ModelInfo> {
    this.closed = false;
    if (!this.first) {
      const first = this.loadFirst();
      this.first = first;
      // A failed load is tried again by the next run, or by the watcher once another version is active.
      first.catch(() => { if (this.first === first) this.first = undefined; });
    }
    return this.first;
  }

  async run(feed: ModelFeed, fetch?: readonly string[]): Promise<ModelRunResult> {
    await this.ready();
    const loaded = this.current;
    if (!loaded) throw new PipelineError('model-closed', 'the model was unloaded (redeploy) before this message ran');
    loaded.running++;
    try {
      return { ...(await loaded.host.run(feed, fetch)), model: loaded.identity };
    } finally {
      loaded.running--;
      if (loaded.retired && loaded.running === 0) this.release(loaded);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching();
    this.first = undefined;
    const loaded = this.current;
    this.current = undefined;
    if (loaded) this.release(loaded);
    await Promise.all([...this.retiring]);
  }

  /** Re-reads the active record and starts a swap when it names another version. Called by the watcher and the poll. */
  checkActive(): void {
    if (this.closed || this.options.version !== undefined) return;
    if (!this.current) {
      // Deployed before the model arrived: load it as soon as a version is active.
      const active = readActiveSafely(this.options.store.root, this.options.name);
      if (!this.first && this.users.size > 0 && active && active !== this.failedVersion) void this.ready().catch(() => undefined);
      return;
    }
    // An unreadable record is being replaced right now: the rename's own event follows.
    const version = readActiveSafely(this.options.store.root, this.options.name);
    if (!version || version === this.current.model.version || version === this.pendingVersion) return;
    if (version === this.failedVersion) return;
    this.pendingVersion = version;
    void this.swapTo(version);
  }

  private async loadFirst(): Promise<ModelInfo> {
    this.options.onState?.('loading');
    let tried: string | undefined;
    try {
      const model = this.options.store.resolve(this.options.name, this.options.version);
      tried = model.version;
      const loaded = await this.load(model);
      if (this.closed) {
        this.release(loaded);
        throw new PipelineError('model-closed', 'the model was unloaded (redeploy) while it was loading');
      }
      this.current = loaded;
      this.startWatching();
      this.options.onState?.('ready');
      return loaded.host.info!;
    } catch (err) {
      this.failedVersion = tried;
      if (!this.closed) this.startWatching();
      const error = err instanceof PipelineError ? err : new PipelineError('load-failed', String((err as Error).message ?? err));
      this.options.onState?.('error', error);
      throw error;
    }
  }

  private async load(model: ResolvedModel): Promise<Loaded> {
    // The store verified the file when it was installed; make sure it is still that file.
    const actual = await sha256File(model.modelPath);
    if (actual !== model.manifest.sha256) {
      throw new PipelineError('store-check-sha256', `check "sha256" failed: ${model.name} ${model.version} in the store has changed since it ` +
        `was installed (sha256 ${actual.slice(0, 12)}…, manifest ${model.manifest.sha256.slice(0, 12)}…); install it again`,
      { check: 'sha256', actual, expected: model.manifest.sha256 });
    }
    const identity: ModelIdentity = { name: model.name, version: model.version, sha256: model.manifest.sha256 };
    const host = new ModelHost({ modelPath: model.modelPath, session: this.options.session, workers: this.options.workers, warmup: this.options.warmup, identity });
    try {
      await host.ready();
    } catch (err) {
      await host.close();
      throw err;
    }
    return { host, model, identity, running: 0, retired: false };
  }

  private async swapTo(version: string): Promise<void> {
    let next: Loaded;
    try {
      next = await this.load(this.options.store.resolve(this.options.name, version));
    } catch (err) {
      if (this.pendingVersion === version) this.pendingVersion = undefined;
      this.failedVersion = version;
      if (!this.closed) this.options.onSwapFailed?.(version, err instanceof PipelineError ? err : new PipelineError('load-failed', String(err)));
      return;
    }
    if (this.closed || this.pendingVersion !== version || !this.current) {
      this.release(next);
      return;
    }
    this.pendingVersion = undefined;
    this.failedVersion = undefined;
    const previous = this.current;
    this.current = next;
    previous.retired = true;
    if (previous.running === 0) this.release(previous);
    this.options.onSwap?.(previous.identity, next.identity);
    this.checkActive(); // the record may have moved on while this version loaded
  }

  private release(loaded: Loaded): void {
    loaded.retired = true;
    const closing = loaded.host.close().finally(() => this.retiring.delete(closing));
    this.retiring.add(closing);
  }

  private startWatching(): void {
    if (this.options.version !== undefined || this.poll) return;
    const check = () => this.checkActive();
    this.poll = setInterval(() => {
      if (!this.watcher) this.watch(check);
      check();
    }, this.options.pollMs ?? 2000);
    this.poll.unref();
    this.watch(check);
  }

  /** Watches the model's folder: activation replaces active.json by a rename, which a watch on the file itself would lose. */
  private watch(check: () => void): void {
    try {
      this.watcher = fs.watch(path.join(this.options.store.root, this.options.name), (_event, file) => {
        if (!file || file === ACTIVE_FILE || String(file).startsWith('.tmp-')) setImmediate(check);
      });
      this.watcher.on('error', () => { this.watcher?.close(); this.watcher = undefined; });
    } catch {
      this.watcher = undefined; // the folder does not exist (yet): the poll tries again
    }
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
  }
}

function readActiveSafely(root: string, name: string): string | undefined {
  try {
    return readActive(root, name)?.version;
  } catch {
    return undefined;
  }
}
