// Editor fields arrive as strings (or numbers in hand-written flows); these turn them into checked values.
import { badOption } from '../../lib/tensor/options';

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).trim();
}

/** A positive number from a field, the fallback when the field is empty. */
export function positiveNumber(value: unknown, fallback: number, option: string): number {
  const raw = text(value);
  if (raw === '') return fallback;
  const parsed = Number(raw);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw badOption(option, raw, `must be a positive number`);
  }
  return parsed;
}

/** A positive whole number from a field, undefined when the field is empty. */
export function optionalPositiveInteger(value: unknown, option: string): number | undefined {
  const raw = text(value);
  if (raw === '') return undefined;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw badOption(option, raw, `must be a positive whole number`);
  }
  return parsed;
}

/** One of the allowed words, the fallback when empty. */
export function choice<T extends string>(value: unknown, allowed: readonly T[], fallback: T, option: string): T {
  const raw = text(value);
  if (raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw badOption(option, raw, `must be one of ${allowed.join(', ')}`);
  }
  return raw as T;
}
