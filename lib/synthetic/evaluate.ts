// Segmentation metrics from class maps: a confusion matrix summed over a data set, then IoU per class.
// Same definition as training/train.py, so figures computed here and there agree.

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
}

export interface IouReport {
  /** IoU per label; null when the class occurs neither in truth nor prediction. */
  perClass: Record<string, number | null>;
  /** Mean over the classes that occur. */
  mIoU: number;
  pixelAccuracy: number;
}

/** IoU per class with intersections and unions summed over every image added (not a mean of per-image IoUs). */
export function iouReport(matrix: ConfusionMatrix, labels: readonly string[]): IouReport {
  const k = matrix.classes;
  if (labels.length !== k) throw new Error(`${labels.length} labels for ${k} classes`);
  const perClass: Record<string, number | null> = {};
  const present: number[] = [];
  let correct = 0;
  let total = 0;
  for (let c = 0; c < k; c++) {
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += matrix.counts[j * k + c]!;
      actual += matrix.counts[c * k + j]!;
      total += matrix.counts[c * k + j]!;
    }
    const intersection = matrix.counts[c * k + c]!;
    correct += intersection;
    const union = predicted + actual - intersection;
    const iou = union > 0 ? intersection / union : null;
    perClass[labels[c]!] = iou;
    if (iou !== null) present.push(iou);
  }
  return {
    perClass,
    mIoU: present.reduce((a, b) => a + b, 0) / Math.max(1, present.length),
    pixelAccuracy: total > 0 ? correct / total : 0,
  };
}

/** Class per pixel from NCHW logits [1, classes, H, W]: the arg-max over classes. */
export function argmaxClasses(logits: Float32Array, classes: number, pixels: number): Uint8Array {
  if (logits.length !== classes * pixels) throw new Error(`${logits.length} logits for ${classes} × ${pixels}`);
  const out = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    let best = 0;
    let bestValue = logits[i]!;
    for (let c = 1; c < classes; c++) {
      const v = logits[c * pixels + i]!;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}
