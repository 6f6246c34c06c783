// NODE_DEBUG=edge-mlops lines at the points a support engineer needs (lib/diagnostics.ts), seen from a child process
// because Node reads NODE_DEBUG once per process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../helpers/flow';

function runChild(script: string, nodeDebug: string | undefined): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-diag-')), 'run.js');
  fs.writeFileSync(file, script);
  try {
    const env = { ...process.env, NODE_DEBUG: nodeDebug ?? '' };
    const child = spawnSync(process.execPath, [file], { env, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    return child.stderr;
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

const QUEUE_SCRIPT = (dir: string) => `
const { DiskQueue } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'lib', 'publishing', 'queue.js'))});
const dir = ${JSON.stringify(dir)};
let q = DiskQueue.open({ dir, maxBytes: 300, policy: 'drop-oldest', fsync: false });
for (let i = 0; i < 5; i++) q.append({ topic: 't', payload: 'x'.repeat(60) });
q.close();
q = DiskQueue.open({ dir, maxBytes: 300, policy: 'drop-oldest', fsync: false });
q.close();
`;

describe('field diagnostics (NODE_DEBUG=edge-mlops)', function () {
  this.timeout(20000);
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-diag-queue-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports records a full queue drops', () => {
    assert.match(runChild(QUEUE_SCRIPT(dir), 'edge-mlops'), /EDGE-MLOPS \d+: queue .* full: drop-oldest drops 1 record\(s\) for record \d+/);
  });

  it('reports the records a restart will replay', () => {
    assert.match(runChild(QUEUE_SCRIPT(dir), 'edge-mlops'), /EDGE-MLOPS \d+: queue .*: \d+ records \(\d+ bytes\) from before the restart will be delivered first/);
  });

  it('reports a synchronous disk write slower than 50 ms as slow disk', () => {
    const script = `
const { timedDiskWrite } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'lib', 'diagnostics.js'))});
timedDiskWrite('a test write', () => { const end = performance.now() + 60; while (performance.now() < end); });
timedDiskWrite('a quick write', () => undefined);`;
    const stderr = runChild(script, 'edge-mlops');
    assert.match(stderr, /EDGE-MLOPS \d+: slow disk: a test write took \d+\.\d ms on the event loop/);
    assert.doesNotMatch(stderr, /a quick write/);
  });

  it('says nothing without NODE_DEBUG', () => {
    assert.equal(runChild(QUEUE_SCRIPT(dir), undefined), '');
  });
});
