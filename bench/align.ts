// mlops-align throughput in a real runtime and memory per asset, measured in a child process (its own Node-RED).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface AlignBench { readingsPerSecond: number; samplesPerSecond: number; readings: number; bytesPerAsset: number; signals: number; assets: number; memorySignals: number }

export function benchAlign(): AlignBench {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-align-'));
  try {
    const out = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'servers', 'align-runtime.js'), dir], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`align bench failed: ${out.stderr}`);
    return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as AlignBench;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
