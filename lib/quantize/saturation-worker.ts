// Worker-thread entry: measures a full-range int8 model's saturation on this CPU (saturation-check.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { checkSaturation, type SaturationCheckRequest } from './saturation-check';

if (parentPort) {
  const port = parentPort;
  checkSaturation(workerData as SaturationCheckRequest)
    .then((result) => port.postMessage(result))
    .catch((err: unknown) => port.postMessage({ reason: `the measurement failed: ${err instanceof Error ? err.message : String(err)}` }));
}
