// What a caller hands the worker pool and gets back.
import type { OutputTensor } from '../contract';

export interface ModelFeed {
  /** Model input name → element data, type and shape. */
  [inputName: string]: { data: Buffer; type: string; dims: number[] };
}

export interface ModelRunResult {
  outputs: Record<string, OutputTensor>;
  /** Milliseconds spent waiting for a free worker, and running the session. */
  queueMs: number;
  runMs: number;
}
