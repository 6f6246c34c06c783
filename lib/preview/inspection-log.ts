// The last inspections per asset, for the editor's "edge ML" sidebar: a bounded ring per asset, few assets, small
// entries (a summary and at most one thumbnail), so a device that runs for months holds a fixed amount.
import { stageTimings, totalMs } from '../timings';
import type { Thumbnail } from './thumbnail';

export interface InspectionSummary {
  /** The message's _msgid: pictures made for it (the segment node's preview) are attached by it. */
  msgId: string;
  assetId: string;
  assetType?: string;
  state: string;
  severity?: string;
  reasons: string[];
  model?: { name?: string; version?: string };
  flow?: { name?: string; version?: string };
  /** ms per stage (msg.timings) and their sum. */
  timings: Record<string, number>;
  totalMs: number;
  /** Epoch ms when it was judged. */
  at: number;
  /** The mlops-condition node that judged it. */
  node: string;
  picture?: Thumbnail;
}

export interface SummaryInput {
  msgId: unknown;
  assetId?: unknown;
  condition: { assetId?: unknown; assetType?: unknown; state: string; severity?: unknown; reasons?: unknown };
  model?: unknown;
  flow?: { name?: unknown; version?: unknown };
  timings?: unknown;
  at: number;
  node: string;
}

const MAX_REASONS = 5;
const MAX_TEXT = 200;

function text(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT - 1)}…` : value;
}

function nameAndVersion(value: unknown): { name?: string; version?: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { name, version } = value as { name?: unknown; version?: unknown };
  const result = { name: text(name), version: text(version) };
  return result.name || result.version ? result : undefined;
}

/** A compact, size-bounded summary of one inspection (msg.condition plus what the message says about its making). */
export function inspectionSummary(input: SummaryInput): InspectionSummary {
  const { condition } = input;
  const reasons = Array.isArray(condition.reasons) ? condition.reasons.map(text).filter((r): r is string => r !== undefined) : [];
  const timings = stageTimings(input.timings);
  return {
    msgId: String(input.msgId ?? ''),
    assetId: text(input.assetId) ?? text(condition.assetId) ?? '',
    assetType: text(condition.assetType),
    state: condition.state,
    severity: text(condition.severity),
    reasons: reasons.length > MAX_REASONS ? [...reasons.slice(0, MAX_REASONS), `… ${reasons.length - MAX_REASONS} more`] : reasons,
    model: nameAndVersion(input.model),
    flow: nameAndVersion(input.flow),
    timings,
    totalMs: totalMs(timings),
    at: input.at,
    node: input.node,
  };
}

export interface InspectionLogLimits {
  /** Inspections kept per asset (default 20). */
  perAsset?: number;
  /** Assets kept; the one inspected longest ago goes first (default 50). */
  assets?: number;
  /** Pictures kept for inspections not judged yet (default 20). */
  waitingPictures?: number;
}

export class InspectionLog {
  private readonly byAsset = new Map<string, InspectionSummary[]>();
  private readonly waiting = new Map<string, Thumbnail>();
  private readonly limits: Required<InspectionLogLimits>;

  constructor(limits: InspectionLogLimits = {}) {
    this.limits = { perAsset: limits.perAsset ?? 20, assets: limits.assets ?? 50, waitingPictures: limits.waitingPictures ?? 20 };
  }

  /** Adds an inspection (newest first in its asset's ring); a picture that arrived before it is attached. */
  add(summary: InspectionSummary): InspectionSummary {
    const picture = this.waiting.get(summary.msgId);
    if (picture) {
      this.waiting.delete(summary.msgId);
      summary = { ...summary, picture };
    }
    const ring = this.byAsset.get(summary.assetId) ?? [];
    // Re-inserted so the Map's order is "least recently inspected first", which eviction relies on.
    this.byAsset.delete(summary.assetId);
    this.byAsset.set(summary.assetId, [summary, ...ring].slice(0, this.limits.perAsset));
    while (this.byAsset.size > this.limits.assets) this.byAsset.delete(this.byAsset.keys().next().value!);
    return summary;
  }

  /**
   * Attaches the picture made for message `msgId`: returns the updated inspection, or undefined when it is not
   * (yet) in the log; then the picture waits for it (bounded: the oldest waiting picture goes first).
   */
  attachPicture(msgId: string, picture: Thumbnail): InspectionSummary | undefined {
    for (const [asset, ring] of this.byAsset) {
      const index = ring.findIndex((entry) => entry.msgId === msgId);
      if (index < 0) continue;
      const updated = { ...ring[index]!, picture };
      const copy = [...ring];
      copy[index] = updated;
      this.byAsset.set(asset, copy);
      return updated;
    }
    this.waiting.delete(msgId);
    this.waiting.set(msgId, picture);
    while (this.waiting.size > this.limits.waitingPictures) this.waiting.delete(this.waiting.keys().next().value!);
    return undefined;
  }

  /** Every inspection kept: assets most recently inspected first, each asset's newest first. */
  entries(): InspectionSummary[] {
    return [...this.byAsset.values()].reverse().flat();
  }

  get assetCount(): number {
    return this.byAsset.size;
  }
}

/** Joins waiting updates for one publication: newest version of each inspection, at most `limit` (newest kept). */
export function mergeUpdates(waiting: InspectionSummary[], next: InspectionSummary[], limit = 40): InspectionSummary[] {
  const byId = new Map<string, InspectionSummary>();
  for (const entry of [...waiting, ...next]) {
    byId.delete(entry.msgId);
    byId.set(entry.msgId, entry);
  }
  return [...byId.values()].slice(-limit);
}
