// Catalog lookup with an English fallback: without a loaded catalog (e.g. the test helper) RED._ returns the key.
// One signature everywhere: translate(RED, key, english, substitutions).
import type { NodeAPI } from './red';

/** The catalog's text for `key`, or undefined when the catalog has none. */
export function catalogText(RED: NodeAPI, key: string, substitutions: Record<string, string | number> = {}): string | undefined {
  const translated = RED._(key, substitutions);
  return translated && !translated.endsWith(key) ? translated : undefined;
}

export function translate(RED: NodeAPI, key: string, english: string, substitutions: Record<string, string | number> = {}): string {
  return catalogText(RED, key, substitutions)
    ?? english.replace(/__(\w+)__/g, (whole, name: string) => (name in substitutions ? String(substitutions[name]) : whole));
}
