// The queue's appends are made durable by group-committed fs.fsync calls off the event loop (lib/publishing/group-sync.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiskQueue } from '../../../lib/publishing/queue';

describe('publishing: durable appends without blocking the event loop', () => {
  let dir: string;
  let calls: { fsync: number; fsyncSync: number };
  const original = { fsync: fs.fsync, fsyncSync: fs.fsyncSync };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-group-sync-'));
    calls = { fsync: 0, fsyncSync: 0 };
    fs.fsync = ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => { calls.fsync++; original.fsync(fd, callback); }) as typeof fs.fsync;
    fs.fsyncSync = ((fd: number) => { calls.fsyncSync++; original.fsyncSync(fd); }) as typeof fs.fsyncSync;
  });
  afterEach(() => {
    fs.fsync = original.fsync;
    fs.fsyncSync = original.fsyncSync;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const open = (fsync = true, segmentBytes?: number) => DiskQueue.open({ dir, maxBytes: 1 << 20, policy: 'reject', fsync, ...(segmentBytes ? { segmentBytes } : {}) });

  it('appends without a synchronous fsync', () => {
    const queue = open();
    for (let i = 0; i < 10; i++) queue.append({ i });
    assert.equal(calls.fsyncSync, 0);
    queue.close();
  });

  it('makes ten appends durable with two fsyncs: the first, and one for all written while it ran', async () => {
    const queue = open();
    const durable: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      queue.append({ i });
      durable.push(queue.durable());
    }
    await Promise.all(durable);
    assert.equal(calls.fsync, 2);
    queue.close();
  });

  it('needs no fsync when nothing was written since the last one', async () => {
    const queue = open();
    queue.append({ i: 1 });
    await queue.durable();
    await queue.durable();
    assert.equal(calls.fsync, 1);
    queue.close();
  });

  it('fsyncs a segment before closing it, so its records are durable before a new segment starts', async () => {
    const queue = open(true, 64);
    queue.append({ text: 'x'.repeat(40) });
    const first = queue.durable();
    queue.append({ text: 'y'.repeat(40) }); // rolls over to a new segment
    assert.equal(calls.fsyncSync, 1);
    await first;
    queue.close();
    assert.equal(calls.fsyncSync, 2);
    assert.equal(DiskQueue.open({ dir, maxBytes: 1 << 20, policy: 'reject' }).depth, 2);
  });

  it('needs no fsync for records delivered before it ran (the emptied segment is deleted)', async () => {
    const queue = open();
    queue.append({ i: 1 });
    const seq = queue.peek()!.seq;
    const durable = queue.durable(); // the fsync is in flight on the thread pool
    queue.ack(seq);                   // delivered: the segment is closed and deleted
    await durable;
    assert.equal(calls.fsyncSync, 0);
    queue.close();
  });

  it('resolves at once without fsync (queueSync off)', async () => {
    const queue = open(false);
    queue.append({ i: 1 });
    await queue.durable();
    assert.deepEqual(calls, { fsync: 0, fsyncSync: 0 });
    queue.close();
  });
});
