// What a caller hands the worker pool and gets back.
import type { OutputTensor } from '../contract';
import type { ElementType } from '../element-types';

export interface ModelFeed {
  /** Model input name → element data, type and shape. */
  [inputName: string]: { data: Buffer; type: ElementType; dims: number[] };
}

export interface ModelRunResult {
  outputs: Record<string, OutputTensor>;
  /** Milliseconds spent waiting for a free worker, and running the session. */
  queueMs: number;
  runMs: number;
}
