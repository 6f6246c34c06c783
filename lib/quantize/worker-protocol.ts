// Messages from the quantization workers to the thread that started them: worker.ts → run-in-worker.ts, and
// saturation-worker.ts → checkSaturationInWorker; the request travels as workerData. Same style as the inference
// and segmentation workers: a `kind` per message, and each side checks what it posts with `satisfies` against these.
import type { ErrorCode } from '../errors';
import type { JobProgress, QuantizeSummary } from './job';
import type { SaturationCheck } from './saturation-check';

export type FromQuantizeWorker =
  | { kind: 'progress'; stage: Parameters<JobProgress>[0]; done: number; total: number }
  | { kind: 'done'; summary: QuantizeSummary }
  | { kind: 'failed'; message: string; code?: ErrorCode; details?: Record<string, string | number> };

/** The saturation check's one message: what it measured, or (check.reason) why nothing was. */
export type FromSaturationWorker = { kind: 'checked'; check: SaturationCheck };
