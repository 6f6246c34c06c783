// Overload of the VQI example's POST /vqi/inspect (npm start's runtime, a child process): closed-loop clients at
// concurrency 1…16 send the same picture; a client told 503 waits Retry-After, as a well-behaved client does.
// Useful throughput = answers with an inspection (200) per second. Two variants side by side: the example as
// shipped (mlops-image admits at most "Max in progress" messages, refuses the rest before decoding) and the same
// flow without the admission limit (every request is decoded before the inference queue refuses it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../test/helpers/flow';
import { freePort } from '../test/helpers/mosquitto';
import { startRuntimeProcess } from '../test/helpers/runtime-process';

export interface OverloadResult { variant: string; concurrency: number; okPerSecond: number; refused: number; errors: number }

async function drive(url: string, jpeg: Buffer, concurrency: number, seconds: number): Promise<{ ok: number; elapsed: number; refused: number; errors: number }> {
  const until = performance.now() + seconds * 1000;
  let ok = 0;
  let refused = 0;
  let errors = 0;
  const client = async (n: number) => {
    while (performance.now() < until) {
      const res = await fetch(`${url}/vqi/inspect?asset=bench-${n}`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg });
      await res.arrayBuffer();
      if (res.status === 200) ok++;
      else if (res.status === 503) {
        refused++;
        const wait = Math.min(until - performance.now(), Number(res.headers.get('retry-after') ?? 1) * 1000);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      } else errors++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, n) => client(n)));
  return { ok, elapsed: (performance.now() - started) / 1000, refused, errors };
}

export async function benchOverload(options: { seconds?: number; rounds?: number; levels?: number[] } = {}): Promise<OverloadResult[]> {
  const seconds = options.seconds ?? 4;
  const rounds = options.rounds ?? 4;
  const levels = options.levels ?? [1, 2, 4, 8, 16];
  const jpeg = fs.readFileSync(path.join(repoRoot, 'samples', 'tower-rusty.jpg'));
  const shipped = path.join(repoRoot, 'examples', 'vqi-inspection.json');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-overload-'));
  const unlimited = path.join(dir, 'vqi-no-admission.json');
  const flow = JSON.parse(fs.readFileSync(shipped, 'utf8')) as { type: string; maxInFlight?: number }[];
  for (const node of flow) if (node.type === 'mlops-image') node.maxInFlight = 0;
  fs.writeFileSync(unlimited, JSON.stringify(flow));
  const variants = [['admission (as shipped)', shipped], ['no admission limit', unlimited]] as const;
  const runtimes: { variant: string; url: string; stop(): Promise<void> }[] = [];
  const totals = new Map<string, { ok: number; seconds: number; refused: number; errors: number }>();
  try {
    for (const [variant, file] of variants) {
      const runtime = await startRuntimeProcess(file, { TEDGE_MQTT_HOST: '127.0.0.1', TEDGE_MQTT_PORT: String(await freePort()) });
      runtimes.push({ variant, url: runtime.url, stop: runtime.stop });
      await drive(runtime.url, jpeg, 2, 2); // warm-up
    }
    // Short slices, every level and both variants in each round, in alternating order: machine load that drifts
    // (other work on the machine) lands on all of them alike. Only one runtime is driven at a time.
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? runtimes : [...runtimes].reverse();
      for (const level of round % 2 === 0 ? levels : [...levels].reverse()) {
        for (const runtime of order) {
          const slice = await drive(runtime.url, jpeg, level, seconds);
          const key = `${runtime.variant}\u0000${level}`;
          const total = totals.get(key) ?? { ok: 0, seconds: 0, refused: 0, errors: 0 };
          total.ok += slice.ok;
          total.seconds += slice.elapsed;
          total.refused += slice.refused;
          total.errors += slice.errors;
          totals.set(key, total);
        }
      }
    }
  } finally {
    for (const runtime of runtimes) await runtime.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return variants.flatMap(([variant]) => levels.map((concurrency) => {
    const total = totals.get(`${variant}\u0000${concurrency}`)!;
    return { variant, concurrency, okPerSecond: total.ok / total.seconds, refused: total.refused, errors: total.errors };
  }));
}
