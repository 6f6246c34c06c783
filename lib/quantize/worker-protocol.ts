// Messages from a quantization worker (worker.ts) to the thread that started it (run-in-worker.ts); the job itself
// travels as workerData. Same style as the inference and segmentation workers: a `kind` per message, and each side
// checks what it posts with `satisfies` against this union.
import type { ErrorCode } from '../errors';
import type { JobProgress, QuantizeSummary } from './job';

export type FromQuantizeWorker =
  | { kind: 'progress'; stage: Parameters<JobProgress>[0]; done: number; total: number }
  | { kind: 'done'; summary: QuantizeSummary }
  | { kind: 'failed'; message: string; code?: ErrorCode; details?: Record<string, string | number> };
