import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiskQueue, encodeRecord, type QueueOptions } from '../../../lib/publishing/queue';

describe('publishing: on-disk store-and-forward queue', () => {
  let dir: string;
  const open = (extra: Partial<QueueOptions> = {}) => DiskQueue.open({ dir, maxBytes: 1 << 20, policy: 'reject', ...extra });
  const drain = (queue: DiskQueue) => {
    const out: unknown[] = [];
    for (let rec = queue.peek(); rec; rec = queue.peek()) {
      out.push(rec.header);
      queue.ack(rec.seq);
    }
    return out;
  };
  const segments = () => fs.readdirSync(dir).filter((n) => n.startsWith('seg-')).sort();

  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-queue-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('delivers records in append order, with their binary blobs intact', () => {
    const queue = open();
    const image = Buffer.from([0, 1, 2, 255, 254]);
    assert.deepEqual(queue.append({ n: 1 }), { stored: true, seq: 1, dropped: 0, droppedRecords: [] });
    queue.append({ n: 2 }, [image, Buffer.alloc(0)]);
    queue.append({ n: 3, text: 'é€' });
    assert.equal(queue.depth, 3);
    const second = (queue.ack(1), queue.peek()!);
    assert.deepEqual(second.header, { n: 2 });
    assert.deepEqual(second.blobs, [image, Buffer.alloc(0)]);
    assert.deepEqual(drain(queue), [{ n: 2 }, { n: 3, text: 'é€' }]);
    assert.equal(queue.depth, 0);
    assert.equal(queue.bytes, 0);
    assert.deepEqual(segments(), [], 'fully delivered segments are deleted');
  });

  it('keeps unacknowledged records across a restart and continues the sequence', () => {
    const first = open();
    for (let n = 1; n <= 5; n++) first.append({ n });
    first.ack(2);
    first.close();
    const again = open();
    assert.equal(again.depth, 3);
    assert.equal(again.peek()!.seq, 3);
    assert.equal(again.append({ n: 6 }).seq, 6);
    assert.deepEqual(drain(again), [{ n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }]);
  });

  it('cuts off a torn record at the end of a segment and keeps everything before it', () => {
    const queue = open();
    queue.append({ n: 1 });
    queue.append({ n: 2 });
    queue.close();
    const file = path.join(dir, segments()[0]!);
    const partial = encodeRecord(3, { n: 3 }, [Buffer.alloc(100, 7)]).subarray(0, 60);
    fs.appendFileSync(file, partial);
    const sizeBefore = fs.statSync(file).size;
    const recovered = open();
    assert.equal(recovered.depth, 2);
    assert.equal(fs.statSync(file).size, sizeBefore - partial.length, 'the torn tail is truncated');
    recovered.append({ n: 3 });
    assert.deepEqual(drain(recovered), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('stops at a record whose checksum does not match (bit flip) instead of delivering garbage', () => {
    const queue = open();
    queue.append({ n: 1 });
    queue.append({ word: 'abcdef' });
    queue.close();
    const file = path.join(dir, segments()[0]!);
    const data = fs.readFileSync(file);
    const at = data.indexOf('abcdef');
    data[at] = 'x'.charCodeAt(0);
    fs.writeFileSync(file, data);
    const recovered = open();
    assert.deepEqual(drain(recovered), [{ n: 1 }]);
  });

  it('rolls over to new segments and deletes old ones once delivered', () => {
    const queue = open({ segmentBytes: 200 });
    for (let n = 1; n <= 10; n++) queue.append({ n, pad: 'x'.repeat(60) });
    const before = segments().length;
    assert.ok(before >= 4, `expected several segments, got ${before}`);
    for (let n = 1; n <= 6; n++) queue.ack(n);
    assert.ok(segments().length < before);
    queue.close();
    assert.deepEqual(drain(open({ segmentBytes: 200 })).map((h) => (h as { n: number }).n), [7, 8, 9, 10]);
  });

  describe('size limit policies', () => {
    const frameSize = encodeRecord(1, { n: 1 }, []).length;
    const limit = frameSize * 3;

    it('reject: refuses the new record with a clear error and counts it', () => {
      const queue = open({ maxBytes: limit, policy: 'reject' });
      for (let n = 1; n <= 3; n++) queue.append({ n });
      assert.throws(() => queue.append({ n: 4 }), (err: Error & { code?: string }) =>
        err.code === 'queue-full' && /queue is full \(3 messages/.test(err.message));
      assert.equal(queue.stats.rejected, 1);
      assert.deepEqual(drain(queue), [{ n: 1 }, { n: 2 }, { n: 3 }]);
    });

    it('drop-newest: keeps the queue as it is and counts the dropped record', () => {
      const queue = open({ maxBytes: limit, policy: 'drop-newest' });
      for (let n = 1; n <= 3; n++) queue.append({ n });
      assert.deepEqual(queue.append({ n: 4 }), { stored: false, dropped: 1, droppedRecords: [] });
      assert.deepEqual(queue.append({ n: 5 }), { stored: false, dropped: 1, droppedRecords: [] });
      assert.equal(queue.stats.dropped, 2);
      assert.deepEqual(drain(queue), [{ n: 1 }, { n: 2 }, { n: 3 }]);
    });

    it('drop-oldest: makes room by dropping the oldest records, counts them, and the counters survive a restart', () => {
      const queue = open({ maxBytes: limit, policy: 'drop-oldest' });
      for (let n = 1; n <= 5; n++) queue.append({ n });
      assert.equal(queue.stats.dropped, 2);
      queue.close();
      const again = open({ maxBytes: limit, policy: 'drop-oldest' });
      assert.equal(again.stats.dropped, 2);
      assert.deepEqual(drain(again), [{ n: 3 }, { n: 4 }, { n: 5 }]);
    });

    it('refuses a single record larger than the whole queue, under every policy', () => {
      for (const policy of ['reject', 'drop-newest', 'drop-oldest'] as const) {
        const queue = open({ maxBytes: limit, policy });
        queue.append({ n: 1 });
        assert.throws(() => queue.append({ n: 2 }, [Buffer.alloc(limit)]), /can never fit/);
        assert.equal(queue.depth, 1);
        queue.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('remembers the progress of a multi-step delivery for the head record only', () => {
    const queue = open();
    queue.append({ n: 1 });
    queue.setProgress(1, { eventId: '42' });
    queue.close();
    const again = open();
    assert.deepEqual(again.progress(1), { eventId: '42' });
    assert.equal(again.progress(2), undefined);
  });

  it('refuses a bad configuration with a message naming the setting', () => {
    assert.throws(() => DiskQueue.open({ dir, maxBytes: 0, policy: 'reject' }), /Expected positive number of bytes for queue size limit but received 0 of type number/);
    assert.throws(() => DiskQueue.open({ dir, maxBytes: 10, policy: 'keep-all' as never }), /drop-oldest, drop-newest, reject/);
  });
});
