// The local store of collected samples: one directory per sample, written in a staging directory and renamed into
// place (a crash leaves either the whole sample or nothing), bounded by count and bytes. The oldest samples are
// evicted to make room and counted in state.json, so losses are never silent.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../errors';
import { fsyncDirAsync, readJson, removeDirAtomicAsync, replaceFileAtomicAsync, tempName, writeDurableAsync } from '../model-store/durable';
import { badSetting } from '../settings';
import { diagnostic, SLOW_DISK_MS } from '../diagnostics';

export const SAMPLE_FILE = 'sample.json';
const SAMPLE_DIR = /^\d{10}-[0-9TZ-]+$/;
const STATE_FILE = 'state.json';

export interface StoreLimits { maxCount: number; maxBytes: number }

export interface StoredSample { id: string; dir: string; bytes: number }

interface StoreState { evicted: number; nextSequence: number }

function directoryBytes(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => sum + (entry.isFile() ? fs.statSync(path.join(dir, entry.name)).size : 0), 0);
}

export class SampleStore {
  private samples: StoredSample[] = [];
  private bytes = 0;
  private state: StoreState;

  constructor(readonly dir: string, readonly limits: StoreLimits) {
    if (!(limits.maxCount >= 1)) throw badSetting('maxCount', 'number of at least 1', limits.maxCount);
    if (!(limits.maxBytes >= 1)) throw badSetting('maxBytes', 'number of at least 1', limits.maxBytes);
    fs.mkdirSync(dir, { recursive: true });
    for (const entry of fs.readdirSync(dir)) {
      // Leftovers of a crash while a sample was being written: never complete, so never visible.
      if (entry.startsWith('.staging-') || entry.startsWith('.trash-') || entry.startsWith('.tmp-')) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
    this.samples = fs.readdirSync(dir).filter((name) => SAMPLE_DIR.test(name)).sort()
      .map((id) => ({ id, dir: path.join(dir, id), bytes: directoryBytes(path.join(dir, id)) }));
    this.bytes = this.samples.reduce((sum, s) => sum + s.bytes, 0);
    const saved = readJson<StoreState>(path.join(dir, STATE_FILE));
    const last = this.samples.at(-1);
    this.state = {
      evicted: saved?.evicted ?? 0,
      nextSequence: Math.max(saved?.nextSequence ?? 1, last ? Number(last.id.slice(0, 10)) + 1 : 1),
    };
  }

  get count(): number { return this.samples.length; }
  get size(): number { return this.bytes; }
  get evicted(): number { return this.state.evicted; }
  list(): StoredSample[] { return [...this.samples]; }

  /**
   * Writes one sample (file name → bytes, plus sample.json) and evicts the oldest ones beyond the limits. The disk work
   * runs on the thread pool (a fsync took 30–120 ms of the event loop per sample when it ran here); samples are written
   * one after the other, in the order they were added, and the promise resolves once the sample is on disk.
   */
  add(files: Record<string, Buffer>, meta: Record<string, unknown>, time = new Date()): Promise<{ sample: StoredSample; evicted: StoredSample[] }> {
    const written = this.writing.then(() => this.write(files, meta, time));
    this.writing = written.catch(() => undefined); // a failed sample must not block the ones behind it
    return written;
  }

  private writing: Promise<unknown> = Promise.resolve();

  private async write(files: Record<string, Buffer>, meta: Record<string, unknown>, time: Date): Promise<{ sample: StoredSample; evicted: StoredSample[] }> {
    const metaBytes = Buffer.from(`${JSON.stringify(meta, null, 1)}\n`);
    const bytes = Object.values(files).reduce((sum, b) => sum + b.length, metaBytes.length);
    if (bytes > this.limits.maxBytes) {
      throw new PipelineError('sample-too-large', `the sample takes ${bytes} bytes, more than the whole store may hold (${this.limits.maxBytes}); raise the size limit`, { bytes, limit: this.limits.maxBytes });
    }
    const id = `${String(this.state.nextSequence).padStart(10, '0')}-${time.toISOString().replace(/[:.]/g, '-')}`;
    const staging = path.join(this.dir, tempName('.staging-'));
    const started = performance.now();
    try {
      await fsp.mkdir(staging);
      for (const [name, data] of Object.entries(files)) await writeDurableAsync(path.join(staging, name), data);
      await writeDurableAsync(path.join(staging, SAMPLE_FILE), metaBytes);
      await fsyncDirAsync(staging);
      await fsp.rename(staging, path.join(this.dir, id));
      await fsyncDirAsync(this.dir);
    } catch (err) {
      await fsp.rm(staging, { recursive: true, force: true });
      throw new PipelineError('collect-write-failed', `cannot write the sample into ${this.dir}: ${(err as Error).message}`, { dir: this.dir });
    }
    const ms = performance.now() - started;
    if (ms > SLOW_DISK_MS) diagnostic('slow disk: durable write of sample %s (%d bytes) in %s took %s ms (off the event loop)', id, bytes, this.dir, ms.toFixed(1));
    const sample = { id, dir: path.join(this.dir, id), bytes };
    this.samples.push(sample);
    this.bytes += bytes;
    this.state.nextSequence++;
    const evicted: StoredSample[] = [];
    while (this.samples.length > this.limits.maxCount || this.bytes > this.limits.maxBytes) {
      const oldest = this.samples.shift()!;
      await removeDirAtomicAsync(oldest.dir);
      this.bytes -= oldest.bytes;
      evicted.push(oldest);
    }
    this.state.evicted += evicted.length;
    await replaceFileAtomicAsync(path.join(this.dir, STATE_FILE), JSON.stringify(this.state));
    return { sample, evicted };
  }
}

/** The sample directories of a collect store, oldest first (for the exporter). */
export function sampleDirectories(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => SAMPLE_DIR.test(name) && fs.existsSync(path.join(dir, name, SAMPLE_FILE))).sort().map((name) => path.join(dir, name));
}
