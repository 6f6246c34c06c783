// Translated user-facing text with an English fallback for runtimes without the node's catalog
// (the test helper's RED._ returns the key itself).
import type { NodeAPI } from './red';

export function translate(RED: NodeAPI, key: string, substitutions: Record<string, string | number>, fallback: string): string {
  const text = RED._(key, substitutions);
  return text && !text.endsWith(key) ? text : fallback;
}
