// Catalog texts with an English fallback: a runtime without our catalog returns the key itself.
import type { NodeAPI } from './red';

export function catalogText(RED: NodeAPI, key: string, substitutions: Record<string, string | number>, english: string): string {
  const text = RED._(key, substitutions);
  return text && !text.endsWith(key) ? text : english;
}
