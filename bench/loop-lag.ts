// Measures how late timers fire while some work runs: the event loop's worst stall.
import fs from 'node:fs';

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

/** CPU time the main thread has used, ms (Linux: its schedstat); undefined elsewhere. */
function mainThreadCpuMs(): number | undefined {
  try {
    return Number(fs.readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

export interface LoopLag<T> {
  result: T;
  /** Largest delay of a timer tick beyond its schedule, ms. */
  worstLagMs: number;
  ticks: number;
  elapsedMs: number;
  /**
   * Most CPU the main thread itself used between two ticks, ms (Linux only). On a loaded machine the timer lag also
   * holds the time the thread waited for a CPU; this is the part the event loop was really busy — what the lag
   * would be on an idle machine, give or take the interval.
   */
  worstBusyMs?: number;
}

export async function measureLoopLag<T>(work: () => Promise<T>, intervalMs = 10): Promise<LoopLag<T>> {
  let worstLagMs = 0;
  let ticks = 0;
  let expected = performance.now() + intervalMs;
  let cpuAtTick = mainThreadCpuMs();
  let worstBusyMs = cpuAtTick === undefined ? undefined : 0;
  const busySinceTick = () => {
    const cpu = mainThreadCpuMs();
    if (cpu !== undefined && cpuAtTick !== undefined) worstBusyMs = Math.max(worstBusyMs ?? 0, cpu - cpuAtTick);
    cpuAtTick = cpu;
  };
  const timer = setInterval(() => {
    const now = performance.now();
    busySinceTick();
    worstLagMs = Math.max(worstLagMs, now - expected);
    expected = now + intervalMs;
    ticks++;
  }, intervalMs);
  const started = performance.now();
  try {
    const result = await work();
    // A stall at the very end shows up on the next tick only.
    await new Promise((resolve) => setTimeout(resolve, intervalMs * 2));
    worstLagMs = Math.max(worstLagMs, performance.now() - expected - intervalMs);
    busySinceTick();
    return { result, worstLagMs, ticks, elapsedMs: performance.now() - started, worstBusyMs };
  } finally {
    clearInterval(timer);
  }
}
