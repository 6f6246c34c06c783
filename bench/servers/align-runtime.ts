// mlops-align in a real Node-RED runtime: readings sent into the node, samples counted at the next node; then the
// memory one asset's state takes in the aligner (171 signals, as the APS model). Prints one JSON line. argv: userDir.
import fs from 'node:fs';
import path from 'node:path';
import { Aligner, alignSettings } from '../../lib/align';
import { APS_FEATURES } from '../../lib/aps';
import { startEmbeddedNodeRed } from '../../bin/runtime/embedded-node-red';

const SIGNALS = 10;
const ASSETS = 100;

async function throughput(userDir: string): Promise<{ readingsPerSecond: number; samplesPerSecond: number; readings: number }> {
  const signals = Array.from({ length: SIGNALS }, (_, i) => ({ name: `s${i}`, match: `plant/+/s${i}`, fill: 'hold', maxAgeMs: 0, aggregate: 'last', defaultValue: 0 }));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify([
    { id: 'tab', type: 'tab', label: 'bench' },
    { id: 'align', type: 'mlops-align', z: 'tab', signals, emitMode: 'trigger', trigger: `s${SIGNALS - 1}`, assetFrom: 'topic', assetSegment: 1, incomplete: 'drop', maxAssets: 1000, x: 100, y: 100, wires: [['sink']] },
    { id: 'sink', type: 'debug', z: 'tab', active: false, x: 300, y: 100, wires: [] },
  ]));
  const runtime = await startEmbeddedNodeRed({ userDir, quiet: true });
  const align = runtime.red.nodes.getNode('align')!;
  const sink = runtime.red.nodes.getNode('sink')!;
  const rounds = 100;
  const expected = rounds * ASSETS;
  let samples = 0;
  const done = new Promise<void>((resolve) => sink.on('input', () => { if (++samples === expected) resolve(); }));
  const started = performance.now();
  let time = 1;
  for (let r = 0; r < rounds; r++) {
    for (let a = 0; a < ASSETS; a++) for (let s = 0; s < SIGNALS; s++) align.receive({ topic: `plant/a${a}/s${s}`, payload: r + s, timestamp: time });
    time++;
    if (r % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  await runtime.stop();
  return { readingsPerSecond: (rounds * ASSETS * SIGNALS) / seconds, samplesPerSecond: expected / seconds, readings: rounds * ASSETS * SIGNALS };
}

function bytesPerAsset(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return Number.NaN;
  const assets = 5000;
  const aligner = new Aligner(alignSettings({ signals: APS_FEATURES.map((name) => ({ name })), emit: 'interval', maxAssets: assets }));
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let a = 0; a < assets; a++) for (let s = 0; s < APS_FEATURES.length; s++) aligner.update(`truck-${a}`, s, s, 1);
  aligner.tick(2); // one sample each: the state kept between samples (newest reading per signal)
  gc();
  const used = process.memoryUsage().heapUsed - before;
  if (aligner.assetCount !== assets) throw new Error('assets were evicted');
  return used / assets;
}

async function main(): Promise<void> {
  const userDir = process.argv[2]!;
  fs.mkdirSync(userDir, { recursive: true });
  const memory = bytesPerAsset();
  const result = await throughput(userDir);
  process.stdout.write(`${JSON.stringify({ ...result, bytesPerAsset: memory, signals: SIGNALS, assets: ASSETS, memorySignals: APS_FEATURES.length })}\n`);
  process.exit(0);
}

void main();
