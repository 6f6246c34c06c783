// Catalog lookup with an English fallback: without a loaded catalog (e.g. the test helper) RED._ returns the key.
import type { NodeAPI } from './red';

export function translate(RED: NodeAPI, key: string, english: string, substitutions: Record<string, string | number> = {}): string {
  const translated = RED._(key, substitutions);
  if (translated && !translated.endsWith(key)) return translated;
  return english.replace(/__(\w+)__/g, (whole, name: string) => (name in substitutions ? String(substitutions[name]) : whole));
}
