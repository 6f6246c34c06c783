// Early refusal when a pipeline is saturated: the first node (mlops-image) admits a message only while fewer than
// `limit` admitted messages are on their way to the model; the others are refused at once, before any decoding, so
// a refused request costs almost nothing and the model keeps working on the admitted ones (under overload, useful
// throughput stays at the model's rate instead of collapsing). The nodes downstream release a message when the model
// is done with it or it failed; a message lost on the way (a user's switch node) is released after `staleMs`.
import { PipelineError } from '../errors';

export const DEFAULT_STALE_MS = 60_000;
/** What the refusal suggests as Retry-After (seconds). */
export const RETRY_AFTER_S = 1;

export class Admission {
  private readonly admitted = new Map<string, number>();
  refused = 0;

  constructor(private readonly staleMs = DEFAULT_STALE_MS) {}

  get inFlight(): number { return this.admitted.size; }

  /** Admits message `id` when fewer than `limit` are in flight; otherwise throws PipelineError 'pipeline-busy'. */
  admit(id: string, limit: number, now = Date.now()): void {
    if (this.admitted.has(id)) return;
    if (this.admitted.size >= limit) this.expire(now);
    if (this.admitted.size >= limit) {
      this.refused++;
      throw new PipelineError('pipeline-busy',
        `the pipeline is busy (${this.admitted.size} of ${limit} messages in progress); retry in ${RETRY_AFTER_S} s, or raise "Max in progress" if the device has spare capacity`,
        { inFlight: this.admitted.size, limit, retryAfterS: RETRY_AFTER_S });
    }
    this.admitted.set(id, now);
  }

  release(id: string): void {
    this.admitted.delete(id);
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
