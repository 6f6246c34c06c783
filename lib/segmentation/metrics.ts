// Segmentation metrics, one definition for the pipeline, the synthetic data set and quantization's agreement:
// the arg-max class per pixel of [C, H, W] scores, and IoU from a confusion matrix summed over maps (the same
// definition as training/train.py, so figures computed here and there agree).

/**
 * Class per pixel from channel-major scores (C planes of `pixels` values): the arg-max over channels, ties to the
 * lower class; a NaN score never beats another (NaN in channel 0 keeps class 0). Class indices fit a Uint8Array
 * up to 256 classes; pass a Uint16Array for more.
 */
export function argmaxClasses<T extends Uint8Array | Uint16Array = Uint8Array>(
  scores: ArrayLike<number>, classes: number, pixels: number, into?: T,
): T {
  if (scores.length !== classes * pixels) throw new Error(`${scores.length} scores for ${classes} × ${pixels}`);
  const out = into ?? (new Uint8Array(pixels) as T);
  if (out.length !== pixels) throw new Error(`a class map of ${out.length} pixels for ${pixels}`);
  if (!into && classes > 256) throw new Error(`${classes} classes do not fit a Uint8Array class map; pass a Uint16Array`);
  // Channel by channel (each plane read in order) rather than pixel by pixel: far fewer cache misses on big maps.
  const best = new Float64Array(pixels);
  for (let i = 0; i < pixels; i++) {
    best[i] = scores[i]!;
    out[i] = 0;
  }
  for (let c = 1; c < classes; c++) {
    const offset = c * pixels;
    for (let i = 0; i < pixels; i++) {
      const score = scores[offset + i]!;
      if (score > best[i]!) {
        best[i] = score;
        out[i] = c;
      }
    }
  }
  return out;
}

export class ConfusionMatrix {
  /** counts[true * classes + predicted] */
  readonly counts: Float64Array;

  constructor(readonly classes: number) {
    this.counts = new Float64Array(classes * classes);
  }

  add(truth: ArrayLike<number>, predicted: ArrayLike<number>): this {
    if (truth.length !== predicted.length) {
      throw new Error(`class maps differ in size: ${truth.length} true pixels, ${predicted.length} predicted`);
    }
    const k = this.classes;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i]!;
      const p = predicted[i]!;
      if (t >= k || p >= k) throw new Error(`class index ${Math.max(t, p)} at pixel ${i} is not below ${k}`);
      this.counts[t * k + p]!++;
    }
    return this;
  }

  /** IoU of class c over everything added; undefined when it occurs neither in truth nor prediction. */
  iou(c: number): number | undefined {
    const k = this.classes;
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += this.counts[j * k + c]!;
      actual += this.counts[c * k + j]!;
    }
    const intersection = this.counts[c * k + c]!;
    const union = predicted + actual - intersection;
    return union > 0 ? intersection / union : undefined;
  }

  /** Mean IoU over the classes that occur; undefined when nothing was added. */
  meanIoU(): number | undefined {
    const present: number[] = [];
    for (let c = 0; c < this.classes; c++) {
      const iou = this.iou(c);
      if (iou !== undefined) present.push(iou);
    }
    return present.length === 0 ? undefined : present.reduce((a, b) => a + b, 0) / present.length;
  }
}

export interface IouReport {
  /** IoU per label; null when the class occurs neither in truth nor prediction. */
  perClass: Record<string, number | null>;
  /** Mean over the classes that occur (0 when nothing was added). */
  mIoU: number;
  pixelAccuracy: number;
}

/** IoU per class with intersections and unions summed over every map added (not a mean of per-map IoUs). */
export function iouReport(matrix: ConfusionMatrix, labels: readonly string[]): IouReport {
  const k = matrix.classes;
  if (labels.length !== k) throw new Error(`${labels.length} labels for ${k} classes`);
  const perClass: Record<string, number | null> = {};
  let correct = 0;
  let total = 0;
  for (let c = 0; c < k; c++) {
    perClass[labels[c]!] = matrix.iou(c) ?? null;
    correct += matrix.counts[c * k + c]!;
    for (let j = 0; j < k; j++) total += matrix.counts[c * k + j]!;
  }
  return { perClass, mIoU: matrix.meanIoU() ?? 0, pixelAccuracy: total > 0 ? correct / total : 0 };
}
