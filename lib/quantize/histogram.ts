// Range selection from activation histograms: percentile and entropy (KL divergence, TensorRT's method).
import type { QuantRange } from './math';

export const HISTOGRAM_BINS = 2048;

/**
 * Histogram whose memory stays at `bins` counters per tensor whatever the calibration set size. The range starts
 * at the first values seen (or the given one) and doubles, merging pairs of bins, whenever later values fall outside,
 * so activations are streamed through in one pass; the exact extremes are kept beside it.
 */
export class Histogram {
  counts: Float64Array;
  /** Lower edge of the first bin and upper edge of the last. */
  min: number;
  max: number;
  /** Exact smallest and largest values added. */
  lowest = Infinity;
  highest = -Infinity;
  constructor(min?: number, max?: number, bins = HISTOGRAM_BINS) {
    this.counts = new Float64Array(bins);
    this.min = min ?? NaN;
    this.max = max ?? NaN;
  }

  get binWidth(): number {
    return (this.max - this.min) / this.counts.length;
  }

  private grow(lo: number, hi: number): void {
    if (Number.isNaN(this.min)) {
      this.min = lo;
      this.max = hi > lo ? hi : lo + Math.max(Math.abs(lo) * 1e-6, 1e-12);
      return;
    }
    const bins = this.counts.length;
    while (lo < this.min || hi > this.max) {
      const width = this.max - this.min;
      const merged = new Float64Array(bins);
      // Extend on the side that needs it: merged bins go to the lower half (grow up) or the upper half (grow down).
      const offset = hi > this.max || lo >= this.min ? 0 : bins / 2;
      for (let i = 0; i < bins; i++) merged[offset + (i >> 1)]! += this.counts[i]!;
      this.counts = merged;
      if (offset === 0) this.max = this.min + 2 * width;
      else this.min = this.max - 2 * width;
    }
  }

  add(values: Float32Array): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(lo <= hi)) return; // empty, or NaN only
    if (lo < this.lowest) this.lowest = lo;
    if (hi > this.highest) this.highest = hi;
    if (Number.isNaN(this.min) || lo < this.min || hi > this.max) this.grow(lo, hi);
    const bins = this.counts.length;
    const inv = 1 / this.binWidth;
    for (let i = 0; i < values.length; i++) {
      let bin = Math.floor((values[i]! - this.min) * inv);
      if (bin < 0) bin = 0;
      else if (bin >= bins) bin = bins - 1;
      this.counts[bin]!++;
    }
  }

  /** Value below which `fraction` of the samples lie (bin edge resolution, within the exact extremes). */
  quantile(fraction: number): number {
    const total = this.counts.reduce((a, b) => a + b, 0);
    const target = fraction * total;
    let cumulative = 0;
    for (let i = 0; i < this.counts.length; i++) {
      cumulative += this.counts[i]!;
      if (cumulative >= target) return Math.min(this.highest, Math.max(this.lowest, this.min + (i + 1) * this.binWidth));
    }
    return this.highest;
  }
}

/** Keeps the central `percentile` % of values, two-sided; the range still contains 0. */
export function percentileRange(hist: Histogram, percentile: number): QuantRange {
  const tail = (1 - percentile / 100) / 2;
  const lower = hist.lowest >= 0 ? hist.lowest : hist.quantile(tail);
  const upper = hist.highest <= 0 ? hist.highest : hist.quantile(1 - tail);
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
  if (!(width > 0)) return { min: Math.min(hist.lowest, 0), max: Math.max(hist.highest, 0) };
  const zeroBin = Math.min(hist.counts.length, Math.max(0, Math.floor(-hist.min / width)));
  const positive = hist.counts.slice(zeroBin);
  const negative = hist.counts.slice(0, zeroBin).reverse();
  const offset = hist.min + zeroBin * width; // lower edge of the first positive bin, ≈ 0
  const max = hist.highest > 0 ? Math.min(hist.highest, offset + klThresholdBins(positive) * width) : 0;
  const min = hist.lowest < 0 ? Math.max(hist.lowest, offset - klThresholdBins(negative) * width) : 0;
  return { min: Math.min(min, 0), max: Math.max(max, 0) };
}

/**
 * The clipping range that minimises the expected squared quantization error over the histogram: rounding noise
 * (step²/12) for values inside, the distance to the edge for values clipped. The range is the observed one scaled
 * by a factor searched on a grid, so 0 stays inside and the shape (one- or two-sided) is kept.
 */
export function mseRange(hist: Histogram, levels = 255): QuantRange {
  const lowest = Math.min(hist.lowest, 0);
  const highest = Math.max(hist.highest, 0);
  if (!(highest > lowest)) return { min: lowest, max: highest };
  const width = hist.binWidth;
  const centers = Float64Array.from(hist.counts, (_, i) => hist.min + (i + 0.5) * width);
  let best = { min: lowest, max: highest };
  let bestError = Infinity;
  for (let step = 1; step <= 100; step++) {
    const factor = step / 100;
    const lo = lowest * factor;
    const hi = highest * factor;
    const quantum = (hi - lo) / levels;
    const noise = (quantum * quantum) / 12;
    let error = 0;
    for (let i = 0; i < centers.length; i++) {
      const count = hist.counts[i]!;
      if (count === 0) continue;
      const v = centers[i]!;
      error += count * (v > hi ? (v - hi) ** 2 : v < lo ? (lo - v) ** 2 : noise);
    }
    if (error < bestError) {
      bestError = error;
      best = { min: lo, max: hi };
    }
  }
  return best;
}
