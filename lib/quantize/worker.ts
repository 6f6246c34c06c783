// Worker-thread entry: runs one quantization job off the main thread and reports progress and the result.
import { parentPort, workerData } from 'node:worker_threads';
import { isPipelineError } from '../errors';
import { runQuantizeJob, type QuantizeJob } from './job';
import type { FromQuantizeWorker } from './worker-protocol';

if (parentPort) {
  const port = parentPort;
  runQuantizeJob(workerData as QuantizeJob, (stage, done, total) => port.postMessage({ kind: 'progress', stage, done, total } satisfies FromQuantizeWorker))
    .then((summary) => port.postMessage({ kind: 'done', summary } satisfies FromQuantizeWorker))
    .catch((err: unknown) => port.postMessage({
      kind: 'failed',
      message: err instanceof Error ? err.message : String(err),
      ...(isPipelineError(err) ? { code: err.code, details: err.details } : {}),
    } satisfies FromQuantizeWorker));
}
