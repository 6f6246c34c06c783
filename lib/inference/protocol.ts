import type { ElementType } from '../element-types';

// Messages between the worker pool (main thread) and an inference worker.
// Inputs cross in shared scratch memory, one per worker slot (one copy on the main thread: the caller's Buffer may
// be shared with other wires); outputs as transferred ArrayBuffers, no copy.

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';
export type ExecutionMode = 'sequential' | 'parallel';

export interface SessionSettings {
  /** 0 lets onnxruntime choose. */
  intraOpNumThreads: number;
  graphOptimizationLevel: GraphOptimizationLevel;
  executionMode: ExecutionMode;
  /**
   * onnxruntime's CPU memory arena (default on): keeps freed blocks for reuse — faster, but a 1024² model's arena
   * holds gigabytes per worker. Off: memory is returned after each run, at some speed cost.
   */
  memoryArena?: boolean;
  /** Memory pattern planning (default on): pre-plans allocations for fixed input shapes; more memory held. */
  memoryPattern?: boolean;
}

/** An input to warm a session up with: zeros of this type and shape. */
export interface WarmupInput {
  name: string;
  type: string;
  dims: number[];
}

export interface WorkerSetup {
  modelPath: string;
  session: SessionSettings;
  /** Empty: no warm-up run. */
  warmup: WarmupInput[];
}

export interface WireTensor {
  /** Inputs: the slot's shared scratch memory; outputs and warm-up zeros: an ArrayBuffer of their own. */
  buffer: ArrayBuffer | SharedArrayBuffer;
  byteOffset: number;
  byteLength: number;
  type: ElementType;
  dims: number[];
}

export type ToWorker =
  /** `fetch`: the outputs to compute and return, all when absent. */
  | { kind: 'run'; jobId: number; feed: Record<string, WireTensor>; fetch?: string[] }
  | { kind: 'close' };

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'load-failed'; message: string }
  | { kind: 'result'; jobId: number; outputs: Record<string, WireTensor>; runMs: number }
  | { kind: 'run-failed'; jobId: number; message: string };
