// Settings of the time aligner: an ordered signal list (the model's feature order), fill and staleness per signal,
// when a sample is made, what happens to incomplete samples, and how assets are told apart.
import { badSetting, enumSetting, integerSetting, numberSetting, textSetting } from '../settings';

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

/** "NaN" (or null) as a default means "missing", for models that impute missing values themselves. */
function missingMarker(value: unknown): boolean {
  return value === null || (typeof value === 'number' && Number.isNaN(value)) || (typeof value === 'string' && value.trim().toLowerCase() === 'nan');
}

/** Checks the signal table row by row; errors name the row. */
export function signalSpecs(rows: unknown): SignalSpec[] {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw badSetting('signals', 'a list of at least one signal (name, topic) in the order the model expects its features', rows);
  }
  const seen = new Set<string>();
  return rows.map((raw, i) => {
    const where = `signals row ${i + 1}`;
    if (!raw || typeof raw !== 'object') throw badSetting(where, 'a signal {name, match, fill, maxAgeMs, aggregate, defaultValue}', raw);
    const r = raw as Record<string, unknown>;
    const name = textSetting(r.name, `${where} name`, '');
    if (!name) throw badSetting(`${where} name`, 'the feature name', r.name);
    if (seen.has(name)) throw badSetting(`${where} name`, 'a name no other signal has (each signal is one feature)', name);
    seen.add(name);
    const match = textSetting(r.match, `${where} match`, name);
    if (/#./.test(match)) throw badSetting(`${where} match`, 'a topic pattern with "#" only as its last level', match);
    return {
      name,
      match,
      fill: enumSetting(r.fill, `${where} fill`, FILL_POLICIES, 'hold'),
      maxAgeMs: numberSetting(r.maxAgeMs, `${where} maxAgeMs`, 0, { min: 0 }),
      aggregate: enumSetting(r.aggregate, `${where} aggregate`, WINDOW_AGGREGATES, 'last'),
      defaultValue: missingMarker(r.defaultValue) ? Number.NaN : numberSetting(r.defaultValue, `${where} defaultValue`, 0),
    };
  });
}

export function alignSettings(raw: Record<string, unknown>): AlignSettings {
  const signals = signalSpecs(raw.signals);
  const emit = enumSetting(raw.emit, 'emitMode', EMIT_MODES, 'interval');
  const trigger = textSetting(raw.trigger, 'trigger', signals[0]!.name);
  if (emit === 'trigger' && !signals.some((s) => s.name === trigger)) {
    throw badSetting('trigger', `one of the signals (${signals.map((s) => s.name).join(', ')})`, trigger);
  }
  return {
    signals,
    emit,
    intervalMs: integerSetting(raw.intervalMs, 'intervalMs', 1000, { min: 1 }),
    trigger,
    incomplete: enumSetting(raw.incomplete, 'incomplete', INCOMPLETE_POLICIES, 'drop'),
    maxAssets: integerSetting(raw.maxAssets, 'maxAssets', 1000, { min: 1 }),
    sequenceLength: integerSetting(raw.sequenceLength, 'sequenceLength', 1, { min: 1 }),
    maxPointsPerSignal: integerSetting(raw.maxPointsPerSignal, 'maxPointsPerSignal', 1000, { min: 2 }),
  };
}
