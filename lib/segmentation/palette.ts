// Class names and colours: from the node's configuration, else the model's metadata, else defaults.
import { badSetting } from '../settings';

const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

const LIST = 'a JSON array of strings or a comma list';

/** A JSON array of strings, or a comma-separated list; empty text gives an empty list. `setting` names it in errors. */
export function parseList(text: string | undefined, setting: string): string[] {
  const trimmed = (text ?? '').trim();
  if (!trimmed) return [];
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw badSetting(setting, `${LIST} (this looks like a JSON array but does not parse: ${(err as Error).message})`, text);
    }
    if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== 'string')) throw badSetting(setting, LIST, text);
    return (parsed as string[]).map((item) => item.trim());
  }
  return trimmed.split(',').map((item) => item.trim());
}

export function parseColours(text: string | undefined, setting: string): string[] {
  const colours = parseList(text, setting);
  const bad = colours.find((colour) => !HEX_COLOUR.test(colour));
  if (bad !== undefined) throw badSetting(setting, 'colours of the form #rrggbb, like #ff8800', bad);
  return colours.map((colour) => colour.toLowerCase());
}

function hex(value: number): string {
  return Math.round(value * 255).toString(16).padStart(2, '0');
}

/** Default colour of a class: black background, then hues a golden angle apart so neighbours differ strongly. */
export function defaultColour(classIndex: number): string {
  if (classIndex === 0) return '#000000';
  const hue = ((classIndex - 1) * 137.508) % 360;
  // Alternate the lightness a little so far-apart classes with close hues still differ.
  const value = classIndex % 2 === 0 ? 0.85 : 1;
  const saturation = 0.9;
  const sector = hue / 60;
  const chroma = value * saturation;
  const second = chroma * (1 - Math.abs((sector % 2) - 1));
  const [r, g, b] = [
    [chroma, second, 0], [second, chroma, 0], [0, chroma, second],
    [0, second, chroma], [second, 0, chroma], [chroma, 0, second],
  ][Math.floor(sector) % 6]!;
  const base = value - chroma;
  return `#${hex(r! + base)}${hex(g! + base)}${hex(b! + base)}`;
}

export interface ClassNaming {
  labels: string[];
  colors: string[];
}

export interface NamingSources {
  /** From the node's configuration (already parsed). */
  labels: string[];
  colors: string[];
  /** The model's metadata_props, if a model config node is attached and loaded. */
  metadata?: Record<string, string>;
}

/**
 * Exactly classCount labels and colours. Each list comes from the configuration if given there, else from the
 * model metadata keys `labels` / `colors`, else defaults (class0, class1, …). A binary (1-channel) output given a
 * single label takes it as the foreground's name, with "background" as class 0.
 */
export function nameClasses(classCount: number, sources: NamingSources): ClassNaming {
  const metadata = sources.metadata ?? {};
  let labels = sources.labels.length ? sources.labels : parseList(metadata.labels, 'model metadata labels');
  const colors = sources.colors.length ? sources.colors : parseColours(metadata.colors, 'model metadata colors');
  if (classCount === 2 && labels.length === 1) labels = ['background', labels[0]!];
  const named: ClassNaming = { labels: [], colors: [] };
  for (let i = 0; i < classCount; i++) {
    named.labels.push(labels[i] || `class${i}`);
    named.colors.push(colors[i] ?? defaultColour(i));
  }
  return named;
}

/** "#rrggbb" → [r, g, b]. */
export function rgbOf(colour: string): [number, number, number] {
  const value = parseInt(colour.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}
