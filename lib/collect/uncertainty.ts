// How unsure a segmentation model is about a picture, from its raw output: the mean per-pixel entropy of the class
// distribution (normalised to 0…1 by log of the class count) and the share of pixels whose top probability is
// below a confidence level. Read in the output's own resolution, NCHW batch 1 like mlops-segment reads it.
import { typedView, type OutputTensor } from '../contract';
import { PipelineError } from '../errors';

export interface Uncertainty {
  /** Mean over pixels of H(p) / ln(classes); 0 = certain everywhere, 1 = uniform everywhere. */
  meanEntropy: number;
  /** Share of pixels whose most likely class has probability below `confidence`. */
  lowConfidenceShare: number;
  confidence: number;
}

function scoresOf(output: OutputTensor, name: string): { scores: ArrayLike<number>; channels: number; plane: number } {
  const dims = output.dims;
  if (dims.length !== 4 || dims[0] !== 1 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new PipelineError('bad-shape', `Output "${name}" has shape [${dims.join(', ')}]; the uncertainty rules need [1, classes, height, width]`, { name, shape: `[${dims.join(', ')}]` });
  }
  if (output.type === 'int64') throw new PipelineError('unsupported-type', `Output "${name}" is int64; the uncertainty rules need float scores`, { name, type: output.type });
  const scores = typedView(output.data, output.type) as ArrayLike<number>;
  const channels = dims[1]!;
  const plane = dims[2]! * dims[3]!;
  if (scores.length !== channels * plane) throw new PipelineError('data-size', `Output "${name}" holds ${scores.length} values, its shape needs ${channels * plane}`, { name });
  return { scores, channels, plane };
}

/** Whether the channels already hold probabilities (a softmax inside the model): values in 0…1 summing to 1. */
function looksLikeProbabilities(scores: ArrayLike<number>, channels: number, plane: number): boolean {
  const probe = Math.min(plane, 64);
  for (let i = 0; i < probe; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      const v = scores[c * plane + i]!;
      if (!(v >= 0 && v <= 1)) return false;
      sum += v;
    }
    if (channels > 1 && Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}

export function pixelUncertainty(output: OutputTensor, name: string, confidence: number): Uncertainty {
  const { scores, channels, plane } = scoresOf(output, name);
  const probabilities = looksLikeProbabilities(scores, channels, plane);
  let entropySum = 0;
  let unsure = 0;
  if (channels === 1) {
    for (let i = 0; i < plane; i++) {
      const x = scores[i]!;
      const p = probabilities ? x : 1 / (1 + Math.exp(-x));
      const q = 1 - p;
      entropySum += -(p > 0 ? p * Math.log(p) : 0) - (q > 0 ? q * Math.log(q) : 0);
      if (Math.max(p, q) < confidence) unsure++;
    }
    return { meanEntropy: entropySum / plane / Math.LN2, lowConfidenceShare: unsure / plane, confidence };
  }
  for (let i = 0; i < plane; i++) {
    let top: number;
    let entropy = 0;
    if (probabilities) {
      top = 0;
      for (let c = 0; c < channels; c++) {
        const p = scores[c * plane + i]!;
        if (p > top) top = p;
        if (p > 0) entropy -= p * Math.log(p);
      }
    } else {
      // Softmax without overflow: shift by the largest logit. H = ln Σe^z − Σ z e^z / Σe^z with z = x − max.
      let max = -Infinity;
      for (let c = 0; c < channels; c++) max = Math.max(max, scores[c * plane + i]!);
      let sum = 0;
      let weighted = 0;
      for (let c = 0; c < channels; c++) {
        const z = scores[c * plane + i]! - max;
        const e = Math.exp(z);
        sum += e;
        weighted += z * e;
      }
      top = 1 / sum;
      entropy = Math.log(sum) - weighted / sum;
    }
    entropySum += entropy;
    if (top < confidence) unsure++;
  }
  return { meanEntropy: entropySum / plane / Math.log(channels), lowConfidenceShare: unsure / plane, confidence };
}
