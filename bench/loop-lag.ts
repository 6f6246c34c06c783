// Measures how late timers fire while some work runs: the event loop's worst stall.

export interface LoopLag<T> {
  result: T;
  /** Largest delay of a timer tick beyond its schedule, ms. */
  worstLagMs: number;
  ticks: number;
  elapsedMs: number;
}

export async function measureLoopLag<T>(work: () => Promise<T>, intervalMs = 10): Promise<LoopLag<T>> {
  let worstLagMs = 0;
  let ticks = 0;
  let expected = performance.now() + intervalMs;
  const timer = setInterval(() => {
    const now = performance.now();
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
    return { result, worstLagMs, ticks, elapsedMs: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}
