import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PipelineError } from '../../../lib/errors';
import { Forwarder, RetryableError } from '../../../lib/publishing/forwarder';
import { DiskQueue, type QueueRecord } from '../../../lib/publishing/queue';
import { RestDelivery, type RestOperation } from '../../../lib/publishing/rest-delivery';
import { restClient } from '../../../lib/publishing/rest-client';
import { FakeCumulocity } from '../../fixtures/c8y-server';

describe('publishing: forwarder and REST delivery', () => {
  let dir: string;
  let queue: DiskQueue;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-forwarder-'));
    queue = DiskQueue.open({ dir, maxBytes: 1 << 20, policy: 'reject', fsync: false });
  });
  afterEach(() => {
    queue?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('retries a retryable failure when kicked, reports a permanent one, and keeps the order', async () => {
    for (let n = 1; n <= 3; n++) queue.append({ n });
    const attempts: number[] = [];
    let offline = true;
    const forwarder = new Forwarder(queue, async (record) => {
      const n = (record.header as { n: number }).n;
      attempts.push(n);
      if (n === 1 && offline) throw new RetryableError('broker down');
      if (n === 2) throw new PipelineError('c8y-rejected', 'refused');
    }, { retryMinMs: 60_000 });
    const [retryError] = await once(forwarder, 'retry');
    assert.equal(retryError.message, 'broker down');
    offline = false;
    const failed = once(forwarder, 'failed');
    const idle = once(forwarder, 'idle');
    forwarder.kick();
    const [record, error] = await failed;
    assert.deepEqual([(record as QueueRecord).header, (error as Error).message], [{ n: 2 }, 'refused']);
    await idle;
    await forwarder.stop();
    assert.deepEqual(attempts, [1, 1, 2, 3]);
    assert.equal(queue.depth, 0);
  });

  it('stops while waiting for a retry and leaves the record queued', async () => {
    queue.append({ n: 1 });
    const forwarder = new Forwarder(queue, async () => { throw new RetryableError('down'); }, { retryMinMs: 60_000 });
    await once(forwarder, 'retry');
    await forwarder.stop();
    assert.equal(queue.depth, 1);
  });

  describe('events with images', () => {
    let tenant: FakeCumulocity;
    before(async () => { tenant = new FakeCumulocity(); await tenant.start(); });
    after(async () => { await tenant?.stop(); });

    const operation = (deviceId: string): RestOperation => ({
      kind: 'rest', op: 'event', asset: { id: deviceId, externalId: deviceId, type: 't' }, time: '2026-01-01T00:00:00.000Z',
      event: { type: 'mlops_Inspection', text: 'inspection', fragments: {} },
      images: [{ role: 'overlay', name: 'o.png', contentType: 'image/png' }, { role: 'original', name: 'i.jpg', contentType: 'image/jpeg' }],
    });

    it('resumes an interrupted delivery from its saved progress without creating any event twice', async () => {
      const deviceId = tenant.addDevice('asset-a', 'asset-a');
      const delivery = new RestDelivery(restClient({ baseUrl: tenant.url, timeoutMs: 5000 }), false);
      const seq = queue.append(operation('asset-a'), [Buffer.from('overlay'), Buffer.from('original')]).seq!;
      const record = queue.peek()!;
      const context = { progress: <T>() => queue.progress<T>(seq), saveProgress: (v: unknown) => queue.setProgress(seq, v) };
      const ofDevice = () => tenant.events.filter((e) => e.source.id === deviceId);

      tenant.failRequest(/^POST \/event\/events\/\d+\/binaries$/, { status: 503 });
      await assert.rejects(delivery.deliver(record, context), (err: RetryableError) => err.reason === 'server');
      assert.equal(ofDevice().length, 1, 'the event was created before the upload failed');
      await delivery.deliver(record, context);
      const [main, companion] = ofDevice();
      assert.equal(ofDevice().length, 2);
      assert.deepEqual([main.type, companion.type], ['mlops_Inspection', 'mlops_Inspection_original']);
      assert.deepEqual(tenant.binaries.filter((b) => b.eventId === main.id || b.eventId === companion.id).map((b) => [b.eventId, b.data.toString()]),
        [[main.id, 'overlay'], [companion.id, 'original']]);

      // Stopped after uploading but before saving that: the upload answers 409 and counts as done.
      queue.setProgress(seq, { eventId: main.id, attached: 0, companions: { 1: companion.id } });
      await delivery.deliver(record, context);
      assert.equal(ofDevice().length, 2);
      assert.equal(tenant.binaries.length, 2);
    });

    it('waits (retryable) while thin-edge has not registered the device yet', async () => {
      const delivery = new RestDelivery(restClient({ baseUrl: tenant.url, timeoutMs: 5000 }), false);
      queue.append(operation('asset-b'), [Buffer.from('o'), Buffer.from('i')]);
      const context = { progress: () => undefined, saveProgress: () => undefined };
      await assert.rejects(delivery.deliver(queue.peek()!, context), (err: RetryableError) => err.reason === 'not-registered' && /not registered in Cumulocity yet/.test(err.message));
    });
  });
});
