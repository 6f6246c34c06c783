// V2 inference API under load: Debian's wrk (a second process) posts one APS row at a time at concurrency 1, 16, 64
// to (a) a bare Node http + onnxruntime-node script (the limit), (b) the package's V2 service on bare http (no
// Node-RED), (c) Node-RED serving the model with micro-batching and (d) without. Each server runs in its own process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { generateAps } from '../lib/aps';
import { freePort } from '../tools/free-port';

export interface LoadResult { requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number; requests: number }
export interface ApiSide { name: string; url: string }

const root = path.resolve(__dirname, '..', '..');
const MODEL = path.join(root, 'models', 'aps-demo.onnx');

export function wrkAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' }).status === 0;
}

function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

export function parseWrk(output: string): LoadResult {
  const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(output)?.[1] ?? '');
  const p99 = toMs(/\s99%\s+(\S+)/.exec(output)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(output)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { requestsPerSecond: rate, p50Ms: p50, p99Ms: p99, errors: non2xx + socketErrors, requests };
}

function runWrk(url: string, script: string, connections: number, seconds: number): LoadResult {
  const out = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr}`);
  return parseWrk(out.stdout);
}

async function startServer(script: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(__dirname, 'servers', script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => { if (line === 'ready') resolve(); });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return child;
}

/** Polls until every served model answers ready (Node-RED loads them after it starts). */
async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const status = await fetch(url).then((r) => r.status, () => 0);
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} never became ready`);
}

export interface ApiBench { concurrency: number[]; rows: Record<string, Record<number, LoadResult>> }

export async function benchInferenceApi(options: { seconds: number; concurrency: number[] }): Promise<ApiBench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-v2-'));
  const test = generateAps('test', 14, 1);
  const body = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 171], datatype: 'FP32', data: Array.from(test.features, (v) => (Number.isNaN(v) ? null : v)) }] });
  const script = path.join(dir, 'post.lua');
  fs.writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`);
  const [bare, service, nodeRed] = [await freePort(), await freePort(), await freePort()];
  const children = [
    await startServer('v2-bare.js', [String(bare), MODEL]),
    await startServer('v2-service.js', [String(service), MODEL, '16']),
    await startServer('v2-node-red.js', [String(nodeRed), path.join(dir, 'node-red'), MODEL]),
  ];
  try {
    await waitReady(`http://127.0.0.1:${nodeRed}/v2/health/ready`);
    const sides: ApiSide[] = [
      { name: 'bare http + onnxruntime-node', url: `http://127.0.0.1:${bare}/v2/models/aps-demo/infer` },
      { name: 'V2 service, no Node-RED, batching', url: `http://127.0.0.1:${service}/v2/models/aps-demo/infer` },
      { name: 'Node-RED V2, batching 16/2 ms', url: `http://127.0.0.1:${nodeRed}/v2/models/aps-batched/infer` },
      { name: 'Node-RED V2, batching off', url: `http://127.0.0.1:${nodeRed}/v2/models/aps-single/infer` },
    ];
    const rows: ApiBench['rows'] = {};
    for (const side of sides) runWrk(side.url, script, 16, 1); // warm-up
    for (const c of options.concurrency) {
      // Sides alternate per concurrency level, so drift in the machine's load spreads over all of them.
      for (const side of sides) (rows[side.name] ??= {})[c] = runWrk(side.url, script, c, options.seconds);
    }
    return { concurrency: options.concurrency, rows };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatInferenceApi(bench: ApiBench): string {
  const lines = [`${'side'.padEnd(36)} ${bench.concurrency.map((c) => `c=${c}: req/s  p50  p99 err`.padEnd(30)).join('')}`];
  for (const [name, byC] of Object.entries(bench.rows)) {
    lines.push(`${name.padEnd(36)} ${bench.concurrency.map((c) => {
      const r = byC[c]!;
      return `${r.requestsPerSecond.toFixed(0).padStart(11)} ${r.p50Ms.toFixed(2).padStart(5)} ${r.p99Ms.toFixed(2).padStart(5)} ${String(r.errors).padStart(3)}`.padEnd(30);
    }).join('')}`);
  }
  return lines.join('\n');
}
