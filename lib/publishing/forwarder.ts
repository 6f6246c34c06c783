// Drains a DiskQueue in order through a delivery function, one record at a time.
// A record leaves the queue only after delivery succeeded, or it is set aside into the dead-letter file (reported,
// never silent): when it failed permanently, or when the connection broke every time it was in flight (a broker
// that disconnects on a record it cannot take would otherwise get the same record first on every reconnect).
// After a retryable failure the forwarder waits for a kick (the transport reconnected, new data arrived) or for a
// back-off timer, whichever comes first.
import { EventEmitter } from 'node:events';
import type { DeadLetterFile } from './dead-letter';
import type { DiskQueue, QueueRecord } from './queue';
import { diagnostic } from '../diagnostics';

/** Thrown by a delivery that may succeed later (connection down, 5xx, timeout). */
export class RetryableError extends Error {
  override name = 'RetryableError';
  constructor(message: string, public readonly reason: string = 'offline') {
    super(message);
  }
}

/** reason of a RetryableError thrown when the connection closed while the record was in flight. */
export const INTERRUPTED = 'interrupted';

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
  /** Where records that cannot be delivered are set aside; without it they are only reported. */
  deadLetter?: DeadLetterFile;
  /** A record in flight each time the connection broke this many times in a row is set aside (default 3). */
  maxInterruptions?: number;
}

/** What the 'failed' event carries besides the record. */
export interface SetAside { reason: string; kept: boolean; file?: string }

/**
 * Events: 'delivered' (record), 'retry' (error, delayMs), 'failed' (record, error, SetAside) for records set aside,
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
  private readonly maxInterruptions: number;
  private interruptions = { seq: -1, count: 0 };

  constructor(private readonly queue: DiskQueue, private readonly deliver: Deliver, private readonly options: ForwarderOptions = {}) {
    super();
    this.retryMinMs = options.retryMinMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.maxInterruptions = options.maxInterruptions ?? 3;
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
        if (isRetryable(err) && !this.interruptedTooOften(record, err)) {
          const delay = this.delay;
          this.delay = Math.min(this.retryMaxMs, this.delay * 2);
          diagnostic('delivery of record %d failed (%s); retry in %d ms', record.seq, (err as Error).message, delay);
          this.emit('retry', err, delay);
          await this.sleep(delay);
        } else {
          this.setAside(record, err as Error);
        }
      }
    }
  }

  /** Counts consecutive broken connections with this record in flight; true once there were too many. */
  private interruptedTooOften(record: QueueRecord, err: RetryableError): boolean {
    if (err.reason !== INTERRUPTED) return false;
    if (this.interruptions.seq !== record.seq) this.interruptions = { seq: record.seq, count: 0 };
    this.interruptions.count++;
    return this.interruptions.count >= this.maxInterruptions;
  }

  private setAside(record: QueueRecord, err: Error): void {
    const reason = isRetryable(err)
      ? `the connection broke ${this.interruptions.count} times in a row while this record was being delivered (last: ${err.message})`
      : err.message;
    diagnostic('record %d set aside: %s', record.seq, reason);
    const kept = this.options.deadLetter?.add(record, reason);
    this.queue.ack(record.seq);
    this.emit('failed', record, err, { reason, kept: kept?.kept ?? false, file: kept?.file } satisfies SetAside);
  }

  private sleep(ms: number | undefined): Promise<void> {
    if (this.kicked || !this.running) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => done(), ms);
      const done = () => {
        if (timer) clearTimeout(timer);
        this.wake = undefined;
        this.kicked = false;
        resolve();
      };
      this.wake = done;
    });
  }
}
