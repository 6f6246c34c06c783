// Worker-thread entry: measures a full-range int8 model's saturation on this CPU (saturation-check.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { checkSaturation, type SaturationCheckRequest } from './saturation-check';
import type { FromSaturationWorker } from './worker-protocol';

if (parentPort) {
  const port = parentPort;
  checkSaturation(workerData as SaturationCheckRequest)
    .then((check) => port.postMessage({ kind: 'checked', check } satisfies FromSaturationWorker))
    .catch((err: unknown) => port.postMessage({
      kind: 'checked', check: { reason: `the measurement failed: ${err instanceof Error ? err.message : String(err)}` },
    } satisfies FromSaturationWorker));
}
