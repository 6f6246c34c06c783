// Drains a DiskQueue in order through a delivery function, one record at a time.
// A record leaves the queue only after delivery succeeded (or failed permanently, which is reported, never silent).
// After a retryable failure the forwarder waits for a kick (the transport reconnected, new data arrived) or for a
// back-off timer, whichever comes first.
import { EventEmitter } from 'node:events';
import type { DiskQueue, QueueRecord } from './queue';

/** Thrown by a delivery that may succeed later (connection down, 5xx, timeout). */
export class RetryableError extends Error {
  override name = 'RetryableError';
  constructor(message: string, public readonly reason: string = 'offline') {
    super(message);
  }
}

export function isRetryable(err: unknown): err is RetryableError {
  return err instanceof RetryableError;
}

export interface DeliveryContext {
  /** Saved progress of this record's earlier, interrupted delivery. */
  progress<T>(): T | undefined;
  saveProgress(value: unknown): void;
}

export type Deliver = (record: QueueRecord, context: DeliveryContext) => Promise<void>;

export interface ForwarderOptions {
  retryMinMs?: number;
  retryMaxMs?: number;
}

/**
 * Events: 'delivered' (record), 'retry' (error, delayMs), 'failed' (record, error) for permanent failures,
 * 'idle' when the queue is empty.
 */
export class Forwarder extends EventEmitter {
  private running = true;
  private wake: (() => void) | undefined;
  private kicked = false;
  private readonly loop: Promise<void>;
  private delay: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly queue: DiskQueue, private readonly deliver: Deliver, options: ForwarderOptions = {}) {
    super();
    this.retryMinMs = options.retryMinMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.delay = this.retryMinMs;
    this.loop = this.run();
  }

  /** Wakes the loop now: new data was queued or the connection came back. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /** Stops after the delivery in flight (if any) settles; undelivered records stay on disk. */
  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const record = this.queue.peek();
      if (!record) {
        this.emit('idle');
        await this.sleep(undefined);
        continue;
      }
      try {
        await this.deliver(record, {
          progress: <T>() => this.queue.progress<T>(record.seq),
          saveProgress: (value) => this.queue.setProgress(record.seq, value),
        });
        this.queue.ack(record.seq);
        this.delay = this.retryMinMs;
        this.emit('delivered', record);
      } catch (err) {
        if (!this.running) break;
        if (isRetryable(err)) {
          const delay = this.delay;
          this.delay = Math.min(this.retryMaxMs, this.delay * 2);
          this.emit('retry', err, delay);
          await this.sleep(delay);
        } else {
          this.queue.ack(record.seq);
          this.emit('failed', record, err);
        }
      }
    }
  }

  private sleep(ms: number | undefined): Promise<void> {
    if (this.kicked || !this.running) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const self = this;
      function done() {
        if (timer) clearTimeout(timer);
        self.wake = undefined;
        self.kicked = false;
        resolve();
      }
      this.wake = done;
    });
  }
}
