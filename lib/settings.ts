// One settings toolkit for every node and the CLI: editor fields arrive as strings (or numbers, booleans in
// hand-written flows and CLI flags); these turn them into checked values or one kind of error, always phrased
// "Expected <what> for <setting> but received <value> of type <type>" (sharp's formula).
// An empty field (undefined, null, '' or blanks) means "not set": the reader returns its fallback.
import { PipelineError } from './errors';

/** How a received value is shown in an error: strings quoted, everything else as typed. */
export function describeReceived(value: unknown): string {
  const shown = typeof value === 'string' ? `'${value}'`
    : typeof value === 'object' && value !== null ? JSON.stringify(value) ?? String(value)
      : String(value);
  return `${shown.length > 80 ? `${shown.slice(0, 79)}…` : shown} of type ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`;
}

/** The one error for a setting that cannot be used: names the setting, what it must be and what it was. */
export function badSetting(setting: string, expected: string, received: unknown): PipelineError {
  const shown = describeReceived(received);
  return new PipelineError('bad-setting', `Expected ${expected} for ${setting} but received ${shown}`, { setting, expected, received: shown });
}

/** True when the field was left empty. */
export function isUnset(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function numeric(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value.trim());
  return Number.NaN; // booleans, objects and arrays are never numbers here
}

function read<T>(value: unknown, fallback: T, parse: (value: unknown) => T | undefined, setting: string, expected: string): T {
  if (isUnset(value)) return fallback;
  const parsed = parse(value);
  if (parsed === undefined) throw badSetting(setting, expected, value);
  return parsed;
}

export interface Range {
  min?: number;
  max?: number;
  /** The bounds themselves are not allowed (e.g. a probability strictly between 0 and 1). */
  exclusive?: boolean;
}

function rangeText(kind: string, { min, max, exclusive }: Range): string {
  const [from, to] = exclusive ? ['above', 'below'] : ['from', 'to'];
  if (min !== undefined && max !== undefined) return exclusive ? `${kind} ${from} ${min} and ${to} ${max}` : `${kind} ${from} ${min} ${to} ${max}`;
  if (min !== undefined) return exclusive ? `${kind} above ${min}` : `${kind} of at least ${min}`;
  if (max !== undefined) return exclusive ? `${kind} below ${max}` : `${kind} of at most ${max}`;
  return kind;
}

function inRange(n: number, { min, max, exclusive }: Range): boolean {
  if (min !== undefined && (exclusive ? n <= min : n < min)) return false;
  if (max !== undefined && (exclusive ? n >= max : n > max)) return false;
  return true;
}

/** A finite number within the range; the fallback when unset. */
export function numberSetting<F extends number | undefined>(value: unknown, setting: string, fallback: F, range: Range = {}): number | F {
  return read<number | F>(value, fallback, (v) => {
    const n = numeric(v);
    return Number.isFinite(n) && inRange(n, range) ? n : undefined;
  }, setting, rangeText('number', range));
}

/** A whole number within the range; the fallback when unset. */
export function integerSetting<F extends number | undefined>(value: unknown, setting: string, fallback: F, range: Range = {}): number | F {
  return read<number | F>(value, fallback, (v) => {
    const n = numeric(v);
    return Number.isInteger(n) && inRange(n, range) ? n : undefined;
  }, setting, rangeText('integer', range));
}

/** A number above 0; the fallback when unset. */
export function positiveNumber<F extends number | undefined>(value: unknown, setting: string, fallback: F): number | F {
  return read<number | F>(value, fallback, (v) => {
    const n = numeric(v);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  }, setting, 'positive number');
}

/** A whole number above 0; the fallback when unset. */
export function positiveInteger<F extends number | undefined>(value: unknown, setting: string, fallback: F): number | F {
  return read<number | F>(value, fallback, (v) => {
    const n = numeric(v);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  }, setting, 'positive integer');
}

/** A whole number, 0 or more; the fallback when unset. */
export function nonNegativeInteger<F extends number | undefined>(value: unknown, setting: string, fallback: F): number | F {
  return read<number | F>(value, fallback, (v) => {
    const n = numeric(v);
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  }, setting, 'integer of at least 0');
}

/** One of the allowed words; the fallback when unset. */
export function enumSetting<T extends string, F extends T | undefined>(value: unknown, setting: string, allowed: readonly T[], fallback: F): T | F {
  return read<T | F>(value, fallback, (v) => {
    const word = typeof v === 'string' ? v.trim() : v;
    return (allowed as readonly unknown[]).includes(word) ? (word as T) : undefined;
  }, setting, `one of ${allowed.join(', ')}`);
}

/** A checkbox: true/false (or the words "true"/"false"); the fallback when unset. */
export function booleanSetting(value: unknown, setting: string, fallback: boolean): boolean {
  return read(value, fallback, (v) => {
    if (typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    return undefined;
  }, setting, 'boolean');
}

/** A text field, trimmed; the fallback when unset. */
export function textSetting<F extends string | undefined>(value: unknown, setting: string, fallback: F): string | F {
  return read<string | F>(value, fallback, (v) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : undefined), setting, 'text');
}
