// Time alignment of independent sensor streams into model samples, per asset (like pandas.merge_asof(by=…)).
// Readings are checked completely before they touch the state, so a bad one (out of order, duplicate time) leaves
// every asset exactly as it was. Knows nothing of Node-RED; mlops-align wraps it.
import { PipelineError } from '../errors';
import { topicMatcher, type TopicMatcher } from './readings';
import type { AlignSettings, SignalSpec } from './settings';

interface Point { time: number; value: number }

interface Track {
  /** Sorted by time; after a sample at T only the last point ≤ T and later ones are kept. */
  points: Point[];
  /** Time of the newest reading; readings must come later than it. */
  lastTime: number;
  /** Read since the asset's previous sample ("complete" mode). */
  fresh: boolean;
}

interface AssetState {
  tracks: Track[];
  /** Time of the previous sample: the aggregates' window is (previousSample, T]. */
  previousSample: number;
  sequence: number[][];
}

export type MissingReason = 'never-seen' | 'stale' | 'no-fresh-value';

export interface MissingSignal {
  signal: string;
  reason: MissingReason;
  /** How old the newest value was at the sample time, when there was one. */
  ageMs?: number;
}

export interface AlignedSample {
  /** "sample": every signal has a value (or its default, listed in `filled`); "incomplete": see `missing`. */
  kind: 'sample' | 'incomplete';
  assetId: string;
  time: number;
  /** In signal order; NaN for a missing signal of an incomplete sample. */
  values: number[];
  features: Record<string, number | null>;
  missing: MissingSignal[];
  /** Signals that were missing or stale and got their default value (policy "default"). */
  filled: string[];
  /** The last T samples (oldest first) when sequenceLength > 1 and T samples exist. */
  sequence?: number[][];
}

export interface AlignStats {
  readings: number;
  samples: number;
  /** Incomplete samples: dropped (policy "drop") or sent to the second output (policy "output"). */
  incomplete: number;
  /** Samples completed with default values. */
  filled: number;
  /** Complete samples held back while a sequence window fills up. */
  warmingUp: number;
  evictedAssets: number;
  /** Old readings dropped because a signal had more than maxPointsPerSignal waiting. */
  overflowedPoints: number;
}

export class Aligner {
  private readonly assets = new Map<string, AssetState>();
  private readonly matchers: TopicMatcher[];
  private readonly triggerIndex: number;
  readonly stats: AlignStats = { readings: 0, samples: 0, incomplete: 0, filled: 0, warmingUp: 0, evictedAssets: 0, overflowedPoints: 0 };

  constructor(readonly settings: AlignSettings) {
    this.matchers = settings.signals.map((s) => topicMatcher(s.match));
    this.triggerIndex = settings.signals.findIndex((s) => s.name === settings.trigger);
  }

  get assetCount(): number { return this.assets.size; }
  get signalNames(): string[] { return this.settings.signals.map((s) => s.name); }

  /** Index of the first signal whose pattern matches, -1 when none does. */
  signalIndex(key: string): number {
    return this.matchers.findIndex((m) => m(key));
  }

  /**
   * Records one reading and returns the samples it completes ("trigger" and "complete" modes; none for "interval").
   * Throws `out-of-order` / `duplicate-time` without changing any state.
   */
  update(assetId: string, signal: number, value: number, time: number): AlignedSample[] {
    const spec = this.settings.signals[signal];
    if (!spec) throw new RangeError(`signal index ${signal} is outside the ${this.settings.signals.length} signals`);
    const existing = this.assets.get(assetId);
    const track = existing?.tracks[signal];
    if (track && time <= track.lastTime) {
      const code = time === track.lastTime ? 'duplicate-time' : 'out-of-order';
      const what = time === track.lastTime ? 'has the same time as' : 'is older than';
      throw new PipelineError(code,
        `signal "${spec.name}" of asset "${assetId}": the reading at ${iso(time)} ${what} the previous one (${iso(track.lastTime)}); ` +
        'it was ignored. Send each sensor\'s readings in time order with distinct timestamps',
        { signal: spec.name, asset: assetId, time: iso(time), previous: iso(track.lastTime) });
    }
    const asset = existing ?? this.addAsset(assetId);
    if (existing) { this.assets.delete(assetId); this.assets.set(assetId, asset); } // least recently updated first
    const target = asset.tracks[signal]!;
    target.points.push({ time, value });
    if (target.points.length > this.settings.maxPointsPerSignal) {
      target.points.shift();
      this.stats.overflowedPoints++;
    }
    target.lastTime = time;
    target.fresh = true;
    this.stats.readings++;
    if (this.settings.emit === 'trigger' && signal === this.triggerIndex) return this.emit(assetId, asset, time);
    if (this.settings.emit === 'complete' && asset.tracks.every((t) => t.fresh)) return this.emit(assetId, asset, time);
    return [];
  }

  /** "interval" mode: one sample per known asset at time T (the clock tick). */
  tick(time: number): AlignedSample[] {
    const samples: AlignedSample[] = [];
    for (const [assetId, asset] of this.assets) samples.push(...this.emit(assetId, asset, time));
    return samples;
  }

  forget(assetId?: string): void {
    if (assetId === undefined) this.assets.clear();
    else this.assets.delete(assetId);
  }

  private addAsset(assetId: string): AssetState {
    if (this.assets.size >= this.settings.maxAssets) {
      const oldest = this.assets.keys().next().value;
      if (oldest !== undefined) {
        this.assets.delete(oldest);
        this.stats.evictedAssets++;
      }
    }
    const asset: AssetState = {
      tracks: this.settings.signals.map(() => ({ points: [], lastTime: -Infinity, fresh: false })),
      previousSample: -Infinity,
      sequence: [],
    };
    this.assets.set(assetId, asset);
    return asset;
  }

  private emit(assetId: string, asset: AssetState, time: number): AlignedSample[] {
    const { signals, incomplete } = this.settings;
    const values: number[] = [];
    const features: Record<string, number | null> = {};
    const missing: MissingSignal[] = [];
    const filled: string[] = [];
    signals.forEach((spec, i) => {
      const found = valueAt(spec, asset.tracks[i]!, asset.previousSample, time);
      if ('value' in found) {
        values.push(found.value);
        features[spec.name] = found.value;
      } else if (incomplete === 'default') {
        values.push(spec.defaultValue);
        features[spec.name] = spec.defaultValue;
        filled.push(spec.name);
      } else {
        values.push(Number.NaN);
        features[spec.name] = null;
        missing.push({ signal: spec.name, ...found });
      }
    });
    asset.previousSample = time;
    for (const track of asset.tracks) { prune(track, time); track.fresh = false; }
    const base = { assetId, time, values, features, missing, filled };
    if (missing.length > 0) {
      this.stats.incomplete++;
      return incomplete === 'output' ? [{ kind: 'incomplete', ...base }] : [];
    }
    if (filled.length > 0) this.stats.filled++;
    const length = this.settings.sequenceLength;
    if (length > 1) {
      asset.sequence.push(values);
      if (asset.sequence.length > length) asset.sequence.shift();
      if (asset.sequence.length < length) {
        this.stats.warmingUp++;
        return [];
      }
      this.stats.samples++;
      return [{ kind: 'sample', ...base, sequence: [...asset.sequence] }];
    }
    this.stats.samples++;
    return [{ kind: 'sample', ...base }];
  }
}

type Found = { value: number } | { reason: MissingReason; ageMs?: number };

/** The signal's value at time T under its fill policy, window aggregate and maximum age. */
export function valueAt(spec: SignalSpec, track: Track, windowStart: number, time: number): Found {
  const points = track.points;
  let before: Point | undefined; // newest point ≤ T
  let after: Point | undefined; // oldest point > T
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    if (p.time <= time) {
      before = p;
      if (p.time > windowStart) {
        count++;
        sum += p.value;
        if (p.value < min) min = p.value;
        if (p.value > max) max = p.value;
      }
    } else {
      after = p;
      break;
    }
  }
  if (!before && !after) return { reason: 'never-seen' };
  const ageMs = before ? time - before.time : undefined;
  if (spec.maxAgeMs > 0 && ageMs !== undefined && ageMs > spec.maxAgeMs) return { reason: 'stale', ageMs };
  if (count > 0 && spec.aggregate !== 'last') {
    if (spec.aggregate === 'mean') return { value: sum / count };
    return { value: spec.aggregate === 'min' ? min : max };
  }
  if (spec.fill === 'none') return count > 0 ? { value: before!.value } : { reason: 'no-fresh-value', ageMs };
  if (spec.fill === 'linear' && before && after) {
    const share = (time - before.time) / (after.time - before.time);
    return { value: before.value + (after.value - before.value) * share };
  }
  // hold, and linear at the edges: the nearest value there is.
  if (before) return { value: before.value };
  return { value: after!.value };
}

/** Keeps the newest point ≤ T (for hold and linear) and everything after T. */
function prune(track: Track, time: number): void {
  const points = track.points;
  let lastBefore = -1;
  for (let i = 0; i < points.length && points[i]!.time <= time; i++) lastBefore = i;
  if (lastBefore > 0) points.splice(0, lastBefore);
}

function iso(time: number): string {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString();
}
