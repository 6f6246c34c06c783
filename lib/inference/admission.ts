// Early refusal when a pipeline is saturated: the first node (mlops-image) admits a message only while fewer than
// `limit` admitted messages are on their way to the model; the others are refused at once, before any decoding, so
// a refused request costs almost nothing and the model keeps working on the admitted ones (under overload, useful
// throughput stays at the model's rate instead of collapsing). The nodes downstream release a message when the model
// is done with it or it failed; a message lost on the way (a user's switch node) is released after `staleMs`.
import { PipelineError } from '../errors';

export const DEFAULT_STALE_MS = 60_000;
/** Bounds of the Retry-After (seconds) a refusal suggests. */
export const MIN_RETRY_AFTER_S = 1;
export const MAX_RETRY_AFTER_S = 30;

export class Admission {
  private readonly admitted = new Map<string, number>();
  refused = 0;
  private lastRelease: number | undefined;
  /** Smoothed time between two messages leaving (the pipeline's pace); undefined until two have left. */
  private releaseIntervalMs: number | undefined;

  constructor(private readonly staleMs = DEFAULT_STALE_MS) {}

  get inFlight(): number { return this.admitted.size; }

  /** Admits message `id` when fewer than `limit` are in flight; otherwise throws PipelineError 'pipeline-busy'. */
  admit(id: string, limit: number, now = Date.now()): void {
    if (this.admitted.has(id)) return;
    if (this.admitted.size >= limit) this.expire(now);
    if (this.admitted.size >= limit) {
      this.refused++;
      const retryAfterS = this.retryAfterS(limit);
      throw new PipelineError('pipeline-busy',
        `the pipeline is busy (${this.admitted.size} of ${limit} messages in progress); retry in ${retryAfterS} s, or raise "Max in progress" if the device has spare capacity`,
        { inFlight: this.admitted.size, limit, retryAfterS });
    }
    this.admitted.set(id, now);
  }

  /**
   * When a refused client should come back: about the time the admitted messages take to leave at the current pace.
   * Sooner would only cost refusals (each one still passes through the flow); later would leave the model idle.
   */
  retryAfterS(limit: number): number {
    const paceMs = this.releaseIntervalMs ?? 0;
    return Math.min(MAX_RETRY_AFTER_S, Math.max(MIN_RETRY_AFTER_S, Math.ceil((limit * paceMs) / 1000)));
  }

  release(id: string, now = Date.now()): void {
    if (!this.admitted.delete(id)) return;
    if (this.lastRelease !== undefined) {
      const interval = now - this.lastRelease;
      this.releaseIntervalMs = this.releaseIntervalMs === undefined ? interval : 0.8 * this.releaseIntervalMs + 0.2 * interval;
    }
    this.lastRelease = now;
  }

  private expire(now: number): void {
    for (const [id, since] of this.admitted) {
      if (now - since < this.staleMs) break; // insertion order: the rest are younger
      this.admitted.delete(id);
    }
  }
}

const byModel = new Map<string, Admission>();

/** The admission shared by the nodes that feed and run model node `modelId`. */
export function admissionFor(modelId: string): Admission {
  let admission = byModel.get(modelId);
  if (!admission) byModel.set(modelId, (admission = new Admission()));
  return admission;
}

/** Called by a node downstream of the gate when the message finished its model step or failed. */
export function releaseAdmission(modelId: string | undefined, messageId: unknown): void {
  if (modelId && typeof messageId === 'string') byModel.get(modelId)?.release(messageId);
}
