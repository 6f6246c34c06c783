// The APS-shaped attribute set: 171 anonymised numeric truck counters named like the Scania APS failure data set
// (two letters + bin number), 7 of them 10-bin histograms. Parameters per attribute are drawn once from a fixed seed,
// so every machine generates the same data set.
import { mixSeed, Random } from '../synthetic/random';

export const APS_LABELS = ['normal', 'failure'] as const;
/** Histogram attributes (10 bins each), as in the original data set. */
export const HISTOGRAM_GROUPS = ['ag', 'ay', 'az', 'ba', 'cn', 'cs', 'ee'] as const;
/** Histograms whose load shifts towards high bins before an APS failure. */
const SIGNATURE_HISTOGRAMS = new Set(['ag', 'ay', 'ee']);
const SINGLE_COUNT = 101;
const SIGNATURE_COUNTERS = 12;

export interface CounterSpec {
  kind: 'counter';
  name: string;
  /** log-scale of the typical value. */
  logScale: number;
  /** log-normal spread. */
  spread: number;
  missingRate: number;
  /** Probability of an exact 0 (counters that rarely fire). */
  zeroRate: number;
  /** 0 = unaffected; else log-factor per unit of failure severity. */
  failureLift: number;
}

export interface HistogramSpec {
  kind: 'histogram';
  group: string;
  names: string[];
  logScale: number;
  missingRate: number;
  /** Bins the centre of the load moves up per unit of failure severity; 0 = unaffected. */
  failureShift: number;
}

export type AttributeSpec = CounterSpec | HistogramSpec;

function twoLetterNames(count: number, taken: Set<string>): string[] {
  const names: string[] = [];
  for (let a = 0; a < 26 && names.length < count; a++) {
    for (let b = 0; b < 26 && names.length < count; b++) {
      const prefix = String.fromCharCode(97 + a) + String.fromCharCode(97 + b);
      if (!taken.has(prefix)) names.push(prefix);
    }
  }
  return names;
}

/** A few attributes are mostly missing (as br_000, bq_000 … are in the original); most miss 0.5–5 %. */
function missingRate(random: Random): number {
  return random.chance(0.08) ? random.range(0.4, 0.82) : random.range(0.005, 0.05);
}

function buildSpecs(): AttributeSpec[] {
  const random = new Random(mixSeed('aps-attributes', 14));
  const prefixes = twoLetterNames(SINGLE_COUNT + HISTOGRAM_GROUPS.length, new Set());
  const singles = prefixes.filter((p) => !(HISTOGRAM_GROUPS as readonly string[]).includes(p)).slice(0, SINGLE_COUNT);
  const signature = new Set<number>();
  while (signature.size < SIGNATURE_COUNTERS) signature.add(random.int(0, SINGLE_COUNT - 1));
  const specs: AttributeSpec[] = singles.map((prefix, i) => ({
    kind: 'counter',
    name: `${prefix}_000`,
    logScale: random.range(0, 11),
    spread: random.range(0.3, 1.0),
    missingRate: missingRate(random),
    zeroRate: random.chance(0.1) ? random.range(0.3, 0.7) : 0,
    failureLift: signature.has(i) ? random.range(1.0, 2.5) : 0,
  }));
  // Histograms go where their prefix sorts, like the original column order.
  for (const group of HISTOGRAM_GROUPS) {
    const spec: HistogramSpec = {
      kind: 'histogram', group, names: Array.from({ length: 10 }, (_, b) => `${group}_00${b}`),
      logScale: random.range(8, 13), missingRate: random.range(0.005, 0.03), failureShift: SIGNATURE_HISTOGRAMS.has(group) ? random.range(2, 3.5) : 0,
    };
    const at = specs.findIndex((s) => (s.kind === 'counter' ? s.name : s.group) > group);
    specs.splice(at < 0 ? specs.length : at, 0, spec);
  }
  return specs;
}

export const APS_SPECS: readonly AttributeSpec[] = buildSpecs();

/** The 171 attribute names in column order (the model's feature order). */
export const APS_FEATURES: readonly string[] = APS_SPECS.flatMap((s) => (s.kind === 'counter' ? [s.name] : s.names));
