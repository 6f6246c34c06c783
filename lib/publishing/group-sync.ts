// Group commit for the store-and-forward queue: a record is written synchronously (to the page cache, about 0.01 ms)
// and made durable by one fs.fsync on libuv's thread pool that covers every write before it started, so the event
// loop never waits for the disk (a synchronous fsync per record blocked it ~4 ms, up to 15 ms: bench/fsync-cost.ts).
// A caller that must not report a record as kept before a power cut could lose it awaits durable().
import fs from 'node:fs';
import { diagnostic, SLOW_DISK_MS, timedDiskWrite } from '../diagnostics';

interface Waiter { upTo: number; resolve: () => void; reject: (err: Error) => void }

export class GroupSync {
  private written = 0;
  private synced = 0;
  private running = false;
  /** Counts files closed; an fsync that started on an earlier file may fail harmlessly (fd closed, number reused). */
  private closedFiles = 0;
  private waiters: Waiter[] = [];

  /** `fd` gives the file being appended to (undefined while none is open). */
  constructor(private readonly fd: () => number | undefined, private readonly what: string) {}

  /** Counts one write to the current file. */
  wrote(): void {
    this.written++;
  }

  /** Resolves once every write counted so far is on disk. */
  durable(): Promise<void> {
    const upTo = this.written;
    if (this.synced >= upTo) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo, resolve, reject });
      this.start();
    });
  }

  /** Call before closing the file (segment roll-over, close): every write so far durable now, on this thread. */
  syncNow(fd: number): void {
    this.closedFiles++;
    if (this.synced >= this.written) return;
    timedDiskWrite(`fsync of ${this.what} before closing a segment`, () => fs.fsyncSync(fd));
    this.settle(this.written);
  }

  /** Call before closing and deleting a file whose records were all delivered: nothing left to make durable. */
  delivered(): void {
    this.closedFiles++;
    this.settle(this.written);
  }

  private start(): void {
    const fd = this.fd();
    if (this.running || fd === undefined) return;
    this.running = true;
    const upTo = this.written;
    const file = this.closedFiles;
    const started = performance.now();
    fs.fsync(fd, (err) => {
      this.running = false;
      const ms = performance.now() - started;
      if (ms > SLOW_DISK_MS) diagnostic('slow disk: fsync of %s took %s ms (off the event loop)', this.what, ms.toFixed(1));
      // An error on a file closed meanwhile is moot: syncNow made its writes durable before closing it.
      if (err && this.closedFiles === file) this.fail(upTo, err);
      else this.settle(upTo);
      if (this.waiters.length > 0) this.start();
    });
  }

  private settle(upTo: number): void {
    this.synced = Math.max(this.synced, upTo);
    const done = this.waiters.filter((w) => w.upTo <= this.synced);
    this.waiters = this.waiters.filter((w) => w.upTo > this.synced);
    for (const w of done) w.resolve();
  }

  private fail(upTo: number, err: Error): void {
    const failed = this.waiters.filter((w) => w.upTo <= upTo);
    this.waiters = this.waiters.filter((w) => w.upTo > upTo);
    for (const w of failed) w.reject(err);
  }
}
