// Settings of the time aligner: an ordered signal list (the model's feature order), fill and staleness per signal,
// when a sample is made, what happens to incomplete samples, and how assets are told apart.
import { PipelineError } from '../errors';

export type FillPolicy = 'hold' | 'linear' | 'none';
export const FILL_POLICIES: readonly FillPolicy[] = ['hold', 'linear', 'none'];
export type WindowAggregate = 'last' | 'mean' | 'min' | 'max';
export const WINDOW_AGGREGATES: readonly WindowAggregate[] = ['last', 'mean', 'min', 'max'];
export type EmitMode = 'interval' | 'trigger' | 'complete';
export const EMIT_MODES: readonly EmitMode[] = ['interval', 'trigger', 'complete'];
/** What happens to a sample with missing or stale signals. */
export type IncompletePolicy = 'drop' | 'output' | 'default';
export const INCOMPLETE_POLICIES: readonly IncompletePolicy[] = ['drop', 'output', 'default'];

export interface SignalSpec {
  /** Feature name, as in msg.features and the model's feature order. */
  name: string;
  /** msg.topic (or the match property) pattern: exact, or MQTT wildcards `+` (one level) and `#` (the rest). */
  match: string;
  fill: FillPolicy;
  /** A value older than this at the sample time is stale; 0 = never stale. */
  maxAgeMs: number;
  aggregate: WindowAggregate;
  /** Used for a missing or stale value when the incomplete policy is "default"; NaN = "missing" for models that impute. */
  defaultValue: number;
}

export interface AlignSettings {
  signals: SignalSpec[];
  emit: EmitMode;
  /** Clock period for "interval"; also the window of the aggregates there. */
  intervalMs: number;
  /** Signal whose updates make a sample in "trigger" mode. */
  trigger: string;
  incomplete: IncompletePolicy;
  /** Assets kept at once; the least recently updated is forgotten beyond this. */
  maxAssets: number;
  /** 1 = one sample [1, N]; T > 1 = the last T complete samples [1, T, N]. */
  sequenceLength: number;
  /** Readings kept per signal and asset between samples; the oldest are dropped beyond this (counted). */
  maxPointsPerSignal: number;
}

function badSetting(name: string, problem: string): PipelineError {
  return new PipelineError('bad-setting', `Setting "${name}": ${problem}`, { name, problem });
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, name: string): T {
  if (value === undefined || value === null || value === '') return fallback;
  if (!(allowed as readonly unknown[]).includes(value)) throw badSetting(name, `"${String(value)}" must be one of ${allowed.join(', ')}`);
  return value as T;
}

function wholeNumber(value: unknown, fallback: number, min: number, name: string): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min) throw badSetting(name, `"${String(value)}" must be a whole number ≥ ${min}`);
  return n;
}

function finiteNumber(value: unknown, fallback: number, name: string): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw badSetting(name, `"${String(value)}" must be a number`);
  return n;
}

/** "NaN" (or null) as a default means "missing", for models that impute missing values themselves. */
function missingMarker(value: unknown): boolean {
  return value === null || (typeof value === 'number' && Number.isNaN(value)) || (typeof value === 'string' && value.trim().toLowerCase() === 'nan');
}

/** Checks the signal table row by row; errors name the row. */
export function signalSpecs(rows: unknown): SignalSpec[] {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw badSetting('signals', 'list at least one signal (name, topic) in the order the model expects its features');
  }
  const seen = new Set<string>();
  return rows.map((raw, i) => {
    const where = `signals row ${i + 1}`;
    if (!raw || typeof raw !== 'object') throw badSetting(where, 'is not a signal {name, match, …}');
    const r = raw as Record<string, unknown>;
    const name = typeof r.name === 'string' ? r.name.trim() : '';
    if (!name) throw badSetting(where, 'has no name; enter the feature name');
    if (seen.has(name)) throw badSetting(where, `the name "${name}" is used twice; each signal is one feature`);
    seen.add(name);
    const match = typeof r.match === 'string' && r.match.trim() !== '' ? r.match.trim() : name;
    if (/#./.test(match)) throw badSetting(where, `the pattern "${match}" has "#" before its end; "#" may only be the last level`);
    const maxAgeMs = finiteNumber(r.maxAgeMs, 0, `${where} max age`);
    if (maxAgeMs < 0) throw badSetting(`${where} max age`, `"${maxAgeMs}" must be ≥ 0 (0 = never stale)`);
    return {
      name,
      match,
      fill: oneOf(r.fill, FILL_POLICIES, 'hold', `${where} fill`),
      maxAgeMs,
      aggregate: oneOf(r.aggregate, WINDOW_AGGREGATES, 'last', `${where} aggregate`),
      defaultValue: missingMarker(r.defaultValue) ? Number.NaN : finiteNumber(r.defaultValue, 0, `${where} default`),
    };
  });
}

export function alignSettings(raw: Record<string, unknown>): AlignSettings {
  const signals = signalSpecs(raw.signals);
  const emit = oneOf(raw.emit, EMIT_MODES, 'interval', 'emit');
  const trigger = typeof raw.trigger === 'string' && raw.trigger.trim() ? raw.trigger.trim() : signals[0]!.name;
  if (emit === 'trigger' && !signals.some((s) => s.name === trigger)) {
    throw badSetting('trigger', `"${trigger}" is not one of the signals (${signals.map((s) => s.name).join(', ')})`);
  }
  return {
    signals,
    emit,
    intervalMs: wholeNumber(raw.intervalMs, 1000, 1, 'intervalMs'),
    trigger,
    incomplete: oneOf(raw.incomplete, INCOMPLETE_POLICIES, 'drop', 'incomplete'),
    maxAssets: wholeNumber(raw.maxAssets, 1000, 1, 'maxAssets'),
    sequenceLength: wholeNumber(raw.sequenceLength, 1, 1, 'sequenceLength'),
    maxPointsPerSignal: wholeNumber(raw.maxPointsPerSignal, 1000, 2, 'maxPointsPerSignal'),
  };
}
