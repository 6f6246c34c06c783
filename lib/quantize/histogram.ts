// Range selection from activation histograms: percentile and entropy (KL divergence, TensorRT's method).
import type { QuantRange } from './math';

export const HISTOGRAM_BINS = 2048;

/** Fixed-range histogram; memory stays at `bins` counters per tensor whatever the calibration set size. */
export class Histogram {
  readonly counts: Float64Array;
  constructor(readonly min: number, readonly max: number, bins = HISTOGRAM_BINS) {
    this.counts = new Float64Array(bins);
  }

  get binWidth(): number {
    return (this.max - this.min) / this.counts.length;
  }

  add(values: Float32Array): void {
    const bins = this.counts.length;
    const width = this.binWidth;
    if (!(width > 0)) {
      this.counts[0]! += values.length;
      return;
    }
    const inv = 1 / width;
    for (let i = 0; i < values.length; i++) {
      let bin = Math.floor((values[i]! - this.min) * inv);
      if (bin < 0) bin = 0;
      else if (bin >= bins) bin = bins - 1;
      this.counts[bin]!++;
    }
  }

  /** Value below which `fraction` of the samples lie (bin edge resolution). */
  quantile(fraction: number): number {
    const total = this.counts.reduce((a, b) => a + b, 0);
    const target = fraction * total;
    let cumulative = 0;
    for (let i = 0; i < this.counts.length; i++) {
      cumulative += this.counts[i]!;
      if (cumulative >= target) return this.min + (i + 1) * this.binWidth;
    }
    return this.max;
  }
}

/** Keeps the central `percentile` % of values, two-sided; the range still contains 0. */
export function percentileRange(hist: Histogram, percentile: number): QuantRange {
  const tail = (1 - percentile / 100) / 2;
  const lower = hist.min >= 0 ? hist.min : hist.quantile(tail);
  const upper = hist.max <= 0 ? hist.max : hist.quantile(1 - tail);
  return { min: Math.min(lower, 0), max: Math.max(upper, 0) };
}

const TARGET_LEVELS = 128;

/**
 * KL-optimal clipping threshold for one side of a distribution. `counts[i]` is the number of magnitudes in
 * [i·width, (i+1)·width). Returns the number of bins to keep.
 */
export function klThresholdBins(counts: Float64Array): number {
  const n = counts.length;
  if (n <= TARGET_LEVELS) return n;
  const step = Math.max(1, Math.floor((n - TARGET_LEVELS) / 256));
  let best = n;
  let bestDivergence = Infinity;
  const reference = new Float64Array(n);
  const expanded = new Float64Array(n);
  for (let keep = TARGET_LEVELS; keep <= n; keep += step) {
    // Reference distribution: the kept bins, with the clipped tail added to the last one.
    let outliers = 0;
    for (let i = keep; i < n; i++) outliers += counts[i]!;
    for (let i = 0; i < keep; i++) reference[i] = counts[i]!;
    reference[keep - 1]! += outliers;
    // Candidate: the kept bins merged into TARGET_LEVELS levels, spread back evenly over non-empty bins.
    for (let level = 0; level < TARGET_LEVELS; level++) {
      const start = Math.floor((level * keep) / TARGET_LEVELS);
      const end = Math.floor(((level + 1) * keep) / TARGET_LEVELS);
      let sum = 0;
      let nonEmpty = 0;
      for (let i = start; i < end; i++) {
        sum += counts[i]!;
        if (counts[i]! > 0) nonEmpty++;
      }
      for (let i = start; i < end; i++) expanded[i] = counts[i]! > 0 ? sum / nonEmpty : 0;
    }
    let pTotal = 0;
    let qTotal = 0;
    for (let i = 0; i < keep; i++) {
      pTotal += reference[i]!;
      qTotal += expanded[i]!;
    }
    if (pTotal === 0 || qTotal === 0) continue;
    let divergence = 0;
    for (let i = 0; i < keep; i++) {
      const p = reference[i]! / pTotal;
      if (p === 0) continue;
      // The clipped tail bin may be empty in the candidate: a small floor keeps the divergence finite.
      const q = Math.max(expanded[i]! / qTotal, 1e-12);
      divergence += p * Math.log(p / q);
    }
    if (divergence < bestDivergence) {
      bestDivergence = divergence;
      best = keep;
    }
  }
  return best;
}

/** Entropy calibration on each side of zero separately, so asymmetric activations keep their shape. */
export function entropyRange(hist: Histogram): QuantRange {
  const width = hist.binWidth;
  if (!(width > 0)) return { min: Math.min(hist.min, 0), max: Math.max(hist.max, 0) };
  const zeroBin = Math.min(hist.counts.length, Math.max(0, Math.floor(-hist.min / width)));
  const positive = hist.counts.slice(zeroBin);
  const negative = hist.counts.slice(0, zeroBin).reverse();
  const offset = hist.min + zeroBin * width; // lower edge of the first positive bin, ≈ 0
  const max = hist.max > 0 ? offset + klThresholdBins(positive) * width : 0;
  const min = hist.min < 0 ? offset - klThresholdBins(negative) * width : 0;
  return { min: Math.min(min, 0), max: Math.max(max, 0) };
}
