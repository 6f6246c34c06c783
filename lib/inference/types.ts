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
  /** Which model ran: for a store model its store name and version, else metadata name/version or the file name and hash. */
  model?: ModelIdentity;
}

export interface ModelIdentity {
  name: string;
  version: string;
  /** sha256 (hex) of the .onnx file. */
  sha256: string;
}
