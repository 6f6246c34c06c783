// Seeded APS-shaped data: 60 000 train / 16 000 test rows of 171 attributes, 59:1 negatives to failures, missing values
// as NaN. Every row is a truck's counters scaled by how much it was used; a failure lifts a set of counters and moves
// three histograms' load to higher bins, by a severity that makes some failures easy and some hard; a few healthy
// trucks show part of that pattern (stress), which is where false alarms come from.
import { mixSeed, Random } from '../synthetic/random';
import { APS_FEATURES, APS_SPECS } from './features';

export type ApsSplit = 'train' | 'test';
/** Rows and failures per split, as in the original data set (LinkEdge slides). */
export const APS_SPLITS: Record<ApsSplit, { rows: number; failures: number }> = {
  train: { rows: 60000, failures: 1000 },
  test: { rows: 16000, failures: 375 },
};

export interface ApsData {
  split: string;
  rows: number;
  /** Row-major rows × 171, NaN = missing. */
  features: Float32Array;
  /** 0 = normal, 1 = failure. */
  labels: Uint8Array;
}

export interface ApsRowOptions {
  failure: boolean;
  /** 0…1; drawn when absent. */
  severity?: number;
}

/** One truck's attribute row into `out` (171 values). */
export function apsRow(random: Random, options: ApsRowOptions, out: Float32Array | number[] = new Float32Array(APS_FEATURES.length)): Float32Array | number[] {
  const usage = Math.exp(0.8 * random.normal());
  // Healthy but stressed trucks show a weak version of the failure pattern.
  const stressed = !options.failure && random.chance(0.04);
  const severity = options.failure ? options.severity ?? random.range(0.15, 1) : stressed ? random.range(0.05, 0.45) : 0;
  let column = 0;
  for (const spec of APS_SPECS) {
    if (spec.kind === 'counter') {
      const lifted = spec.failureLift > 0 && (options.failure || (stressed && random.chance(0.5)));
      let value = 0;
      if (!random.chance(spec.zeroRate)) {
        value = Math.exp(spec.logScale + spec.spread * random.normal() + (lifted ? spec.failureLift * severity * 2 : 0)) * usage;
      }
      const missing = random.chance(spec.missingRate * (options.failure ? 1.6 : 1));
      out[column++] = missing ? Number.NaN : Math.round(value);
    } else {
      const total = Math.exp(spec.logScale + 0.5 * random.normal()) * usage;
      const centre = 3 + 0.8 * random.normal() + spec.failureShift * severity;
      const missing = random.chance(spec.missingRate);
      let weightSum = 0;
      const weights = spec.names.map((_, bin) => {
        const w = Math.exp(-0.5 * ((bin - centre) / 1.4) ** 2);
        weightSum += w;
        return w;
      });
      for (const w of weights) out[column++] = missing ? Number.NaN : Math.round((total * w) / weightSum);
    }
  }
  return out;
}

/** Failure rows at random positions, exactly `failures` of them. */
function labelOrder(random: Random, rows: number, failures: number): Uint8Array {
  const labels = new Uint8Array(rows);
  labels.fill(1, 0, failures);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    const t = labels[i]!;
    labels[i] = labels[j]!;
    labels[j] = t;
  }
  return labels;
}

export function generateAps(split: ApsSplit, seed = 14, limit?: number): ApsData {
  const { rows: total, failures } = APS_SPLITS[split];
  const random = new Random(mixSeed('aps', split, seed));
  const allLabels = labelOrder(random, total, failures);
  const rows = Math.min(total, limit ?? total);
  const width = APS_FEATURES.length;
  const features = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    apsRow(random, { failure: allLabels[r] === 1 }, features.subarray(r * width, (r + 1) * width));
  }
  return { split, rows, features, labels: allLabels.slice(0, rows) };
}

/** APS challenge cost: a missed failure (500) is far worse than a needless check (10). */
export function apsCost(falsePositives: number, falseNegatives: number): number {
  return 10 * falsePositives + 500 * falseNegatives;
}
