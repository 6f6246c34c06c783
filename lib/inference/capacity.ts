// Whether the configured worker threads can be used by this machine. Every worker holds its own onnxruntime
// session (weights, arena, memory plan): for a 1024² model that is gigabytes each, and two workers whose threads
// already fill the cores run no faster than one.
export interface CapacityInput {
  workers: number;
  /** Per worker; 0 lets onnxruntime choose, which is one thread per core. */
  intraOpThreads: number;
  cores: number;
  totalMemoryBytes: number;
  /** Free memory now, after the workers loaded. */
  freeMemoryBytes: number;
  /** Memory the process grew by per worker while loading, when measured. */
  perWorkerBytes?: number;
}

export type CapacityProblem =
  | { kind: 'cores'; workers: number; threads: number; cores: number }
  | { kind: 'memory'; workers: number; perWorkerMb: number; freeMb: number };

const MB = 2 ** 20;

export function capacityProblem(input: CapacityInput): CapacityProblem | undefined {
  const { workers, cores } = input;
  if (workers <= 1) return undefined;
  const threads = workers * (input.intraOpThreads > 0 ? input.intraOpThreads : cores);
  if (threads > cores) return { kind: 'cores', workers, threads, cores };
  // Another worker's worth of memory must remain free, or the next load (or a spike) swaps or is killed.
  const perWorker = input.perWorkerBytes ?? 0;
  if (perWorker > 0 && input.freeMemoryBytes < perWorker) {
    return { kind: 'memory', workers, perWorkerMb: Math.round(perWorker / MB), freeMb: Math.round(input.freeMemoryBytes / MB) };
  }
  return undefined;
}

/** English text of a problem, the decisive part first (the catalog has the same texts). */
export function describeCapacityProblem(problem: CapacityProblem): string {
  return problem.kind === 'cores'
    ? `${problem.workers} workers need ${problem.threads} threads on ${problem.cores} cores: they compete and hold memory each; use 1 worker or fewer threads per worker`
    : `${problem.workers} workers hold about ${problem.perWorkerMb} MB each and ${problem.freeMb} MB are free: use fewer workers or turn the memory arena off`;
}
