// Smoke benchmark: how many small measurements per second the thin-edge path delivers through the on-disk queue
// to a local mosquitto (QoS 1, one in flight), with and without fsync. Run: npm run build && node dist/bench/publish-throughput.js
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildPublication } from '../lib/publishing/inspection';
import { Publisher } from '../lib/publishing/publisher';
import { Mosquitto } from '../test/helpers/mosquitto';
import { DEFAULT_TOPICS } from '../lib/publishing/topics';

async function run(fsync: boolean, count: number, broker: Mosquitto): Promise<number> {
  const queueDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-'));
  const publisher = new Publisher({
    transport: 'thin-edge', queueDir, queueMaxBytes: 64 << 20, queuePolicy: 'reject', fsync,
    mqtt: { host: '127.0.0.1', port: broker.port, tls: false, clientId: `bench-${fsync}`, serviceName: 'bench', reconnectPeriodMs: 100, topics: DEFAULT_TOPICS },
    rest: { baseUrl: 'http://127.0.0.1:1/c8y', timeoutMs: 1000 },
  });
  await new Promise<void>((resolve) => publisher.on('status', (s) => { if (s.connected) resolve(); }));
  const settings = { measurementType: 'env', eventType: 'e', alarmType: 'a', externalIdPrefix: '', select: { measurements: true, event: false, alarm: false, twin: false, originalImage: false, overlayImage: false } };
  const start = process.hrtime.bigint();
  const done = new Promise<void>((resolve) => publisher.on('status', (s) => { if (s.delivered >= count + 1 && s.queued === 0) resolve(); }));
  for (let i = 0; i < count; i++) publisher.publish(buildPublication({ assetId: 'pump', payload: { seq: i, temperature: 20 } }, settings), 'a');
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await publisher.close();
  fs.rmSync(queueDir, { recursive: true, force: true });
  return count / seconds;
}

(async () => {
  const broker = await Mosquitto.start();
  for (const fsync of [true, false]) console.log(`fsync ${fsync}: ${(await run(fsync, 1000, broker)).toFixed(0)} measurements/s`);
  await broker.dispose();
})();
