// A bounded wait in front of the worker pool, so a camera faster than the model cannot pile up messages.
// `concurrency` tasks run at once (one per worker); up to `capacity` wait. When a task arrives and the wait is full:
//   queue        – the new task is refused with a clear error,
//   drop-newest  – the new task is dropped,
//   drop-oldest  – the longest-waiting task is dropped and the new one waits.
// Dropped tasks resolve with { dropped: true } (by design, not an error) and are counted.
import { PipelineError } from '../errors';
import { badSetting } from '../settings';
import { diagnostic } from '../diagnostics';

export type QueuePolicy = 'queue' | 'drop-oldest' | 'drop-newest';
export const QUEUE_POLICIES: readonly QueuePolicy[] = ['queue', 'drop-oldest', 'drop-newest'];

export type QueueOutcome<R> = { dropped: false; value: R; waitedMs: number } | { dropped: true };

interface Waiting {
  work: () => Promise<unknown>;
  queuedAt: number;
  settle(outcome: QueueOutcome<unknown>): void;
  fail(err: unknown): void;
}

export interface BoundedQueueOptions {
  capacity: number;
  policy: QueuePolicy;
  concurrency: number;
  /** Called whenever the number waiting, running or dropped changes. */
  onChange?: () => void;
}

export class BoundedQueue {
  private readonly waiting: Waiting[] = [];
  private running = 0;
  private droppedTotal = 0;

  constructor(private readonly options: BoundedQueueOptions) {
    if (!QUEUE_POLICIES.includes(options.policy)) {
      throw badSetting('queuePolicy', `one of ${QUEUE_POLICIES.join(', ')}`, options.policy);
    }
  }

  get waitingCount(): number { return this.waiting.length; }
  get runningCount(): number { return this.running; }
  get dropped(): number { return this.droppedTotal; }

  submit<R>(work: () => Promise<R>): Promise<QueueOutcome<R>> {
    return new Promise<QueueOutcome<R>>((resolve, reject) => {
      const entry: Waiting = {
        work, queuedAt: performance.now(), settle: resolve as (o: QueueOutcome<unknown>) => void, fail: reject,
      };
      if (this.running < this.options.concurrency) {
        this.start(entry);
      } else if (this.waiting.length < Math.max(0, this.options.capacity)) {
        this.waiting.push(entry);
      } else if (this.options.policy === 'queue') {
        reject(new PipelineError('queue-full',
          `the inference queue is full (${this.options.capacity} waiting); the model is slower than the messages arrive — ` +
          'raise the queue size, or choose a drop policy for streams where only recent messages matter',
          { capacity: this.options.capacity }));
      } else if (this.options.policy === 'drop-newest' || this.waiting.length === 0) {
        this.drop(entry);
      } else {
        this.drop(this.waiting.shift()!);
        this.waiting.push(entry);
      }
      this.options.onChange?.();
    });
  }

  private drop(entry: Waiting): void {
    this.droppedTotal++;
    diagnostic('inference queue (%d waiting, policy %s) dropped a message; %d dropped so far', this.waiting.length, this.options.policy, this.droppedTotal);
    entry.settle({ dropped: true });
  }

  private start(entry: Waiting): void {
    this.running++;
    const waitedMs = performance.now() - entry.queuedAt;
    entry.work().then(
      (value) => entry.settle({ dropped: false, value, waitedMs }),
      (err) => entry.fail(err),
    ).finally(() => {
      this.running--;
      const next = this.waiting.shift();
      if (next) this.start(next);
      this.options.onChange?.();
    });
  }
}
