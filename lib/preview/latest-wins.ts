// A rate bound for work that only matters for its newest input (editor previews): at most one delivery per interval,
// never two at once, and what arrives in between replaces (or merges into) the one waiting, so the newest is not lost.

/** Time as the limiter sees it; tests pass a hand-driven clock. */
export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => {
    const timer = setTimeout(run, ms);
    timer.unref?.(); // a waiting preview never keeps Node-RED from exiting
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface LatestWinsOptions<T> {
  /** Least time between the starts of two deliveries. */
  intervalMs: number;
  clock?: Clock;
  /** How a new item joins the one waiting (default: it replaces it). */
  merge?: (waiting: T, next: T) => T;
  /** A delivery that failed (it is dropped; the next item is delivered as usual). */
  onError?: (err: unknown) => void;
}

export class LatestWins<T> {
  private waiting: { item: T } | undefined;
  private lastStart = -Infinity;
  private timer: unknown;
  private busy = false;
  private stopped = false;
  /** Counts since creation: items offered, deliveries started, items replaced by newer ones before delivery. */
  readonly counts = { offered: 0, delivered: 0, replaced: 0 };
  private readonly clock: Clock;

  constructor(private readonly deliver: (item: T) => void | Promise<void>, private readonly options: LatestWinsOptions<T>) {
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Takes an item; it is delivered later, never inside this call (so a caller on a hot path never waits for the
   * delivery), at the earliest one interval after the previous delivery started and after that one finished.
   */
  offer(item: T): void {
    if (this.stopped) return;
    this.counts.offered++;
    if (this.waiting) {
      this.counts.replaced++;
      this.waiting = { item: this.options.merge ? this.options.merge(this.waiting.item, item) : item };
    } else {
      this.waiting = { item };
    }
    this.schedule();
  }

  /** Forgets the waiting item and delivers nothing more (the node closed). */
  stop(): void {
    this.stopped = true;
    this.waiting = undefined;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.busy || this.timer !== undefined || !this.waiting || this.stopped) return;
    const wait = Math.max(0, this.lastStart + this.options.intervalMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, wait);
  }

  private start(): void {
    const waiting = this.waiting;
    if (!waiting || this.stopped) return;
    this.waiting = undefined;
    this.busy = true;
    this.lastStart = this.clock.now();
    this.counts.delivered++;
    const finished = () => {
      this.busy = false;
      this.schedule();
    };
    let running: void | Promise<void>;
    try {
      running = this.deliver(waiting.item);
    } catch (err) {
      this.options.onError?.(err);
      finished();
      return;
    }
    Promise.resolve(running).then(finished, (err: unknown) => {
      this.options.onError?.(err);
      finished();
    });
  }
}
