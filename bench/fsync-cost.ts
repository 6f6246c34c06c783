// What a durable write costs the event loop: DiskQueue.append (the publishing store-and-forward queue) with and
// without its per-record fsync, and SampleStore.add (mlops-collect: files + sample.json, each fsynced, directory
// fsynced, renamed). The time until each call returns is the time the event loop is blocked (the queue's and the
// store's syncs run on the thread pool; the store's promise is awaited before the next call). Printed, not asserted. Run: npm run build && node dist/bench/fsync-cost.js [records]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SampleStore } from '../lib/collect/store';
import { DiskQueue } from '../lib/publishing/queue';
import { median, quantile } from '../lib/util/stats';

/** Time from append to durable() (on disk), not spent on the event loop; set by the last benchFsyncCost. */
export let durableLatency: { medianMs: number; p99Ms: number } | undefined;

export interface FsyncCost { what: string; calls: number; medianMs: number; p99Ms: number; maxMs: number; loopDelayP99Ms: number }

/** Times `op` `calls` times, one per macrotask (as messages arrive), and the event-loop delay meanwhile. */
async function timed(what: string, calls: number, op: (i: number) => unknown): Promise<FsyncCost> {
  const times: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  for (let i = 0; i < calls; i++) {
    const start = process.hrtime.bigint();
    const pending = op(i);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    await pending;
    await new Promise((resolve) => setImmediate(resolve));
  }
  delay.disable();
  return { what, calls, medianMs: median(times), p99Ms: quantile(times, 0.99), maxMs: Math.max(...times), loopDelayP99Ms: delay.percentile(99) / 1e6 };
}

export async function benchFsyncCost(records = 300): Promise<FsyncCost[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-fsync-'));
  const results: FsyncCost[] = [];
  try {
    const header = { kind: 'mqtt', topic: 'te/device/pump///m/env', payload: JSON.stringify({ temperature: 20.5, pressure: 1.01, seq: 0 }), retain: false };
    const durableMs: number[] = [];
    for (const fsync of [true, false]) {
      const queue = DiskQueue.open({ dir: path.join(root, `queue-${fsync}`), maxBytes: 256 << 20, policy: 'reject', fsync });
      results.push(await timed(`publishing queue append, fsync ${fsync ? 'on (default; group fsync off the loop)' : 'off'}`, records, (i) => {
        queue.append({ ...header, payload: `${header.payload}${i}` }, []);
        const appended = performance.now();
        if (fsync) void queue.durable().then(() => durableMs.push(performance.now() - appended));
      }));
      await queue.durable();
      queue.close();
    }
    durableLatency = { medianMs: median(durableMs), p99Ms: quantile(durableMs, 0.99) };
    const store = new SampleStore(path.join(root, 'collect'), { maxCount: 100_000, maxBytes: 4 * 2 ** 30 });
    const picture = Buffer.alloc(60 * 1024, 7); // a JPEG-sized picture
    results.push(await timed('mlops-collect sample add (60 KiB picture + sample.json; awaited, on disk)', Math.max(20, Math.round(records / 5)), (i) =>
      store.add({ 'image.jpg': picture }, { seq: i, reason: 'bench' })));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return results;
}

export function formatFsyncCost(results: FsyncCost[]): string[] {
  const lines = results.map((r) => `${r.what}: ${r.calls} calls, blocks the event loop ${r.medianMs.toFixed(2)} ms median / ${r.p99Ms.toFixed(2)} ms p99 / ${r.maxMs.toFixed(2)} ms max per call (loop delay p99 ${r.loopDelayP99Ms.toFixed(2)} ms)`);
  if (durableLatency) lines.push(`publishing queue record on disk (append → durable(), thread pool) ${durableLatency.medianMs.toFixed(2)} ms median / ${durableLatency.p99Ms.toFixed(2)} ms p99`);
  return lines;
}

if (require.main === module) {
  void benchFsyncCost(Number(process.argv[2] ?? 300)).then((r) => {
    console.log(`directory: ${os.tmpdir()}`);
    for (const line of formatFsyncCost(r)) console.log(line);
  });
}
