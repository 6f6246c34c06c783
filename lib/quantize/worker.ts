// Worker-thread entry: runs one quantization job off the main thread and reports progress and the result.
import { parentPort, workerData } from 'node:worker_threads';
import { isPipelineError } from '../errors';
import { runQuantizeJob, type QuantizeJob } from './job';

if (parentPort) {
  const port = parentPort;
  runQuantizeJob(workerData as QuantizeJob, (stage, done, total) => port.postMessage({ type: 'progress', stage, done, total }))
    .then((summary) => port.postMessage({ type: 'done', summary }))
    .catch((err: unknown) => port.postMessage({
      type: 'error',
      message: err instanceof Error ? err.message : String(err),
      ...(isPipelineError(err) ? { code: err.code, details: err.details } : {}),
    }));
}
