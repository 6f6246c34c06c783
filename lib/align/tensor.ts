// An aligned sample as the model input mlops-infer feeds: float32, [1, N] or [1, T, N] for a sequence window.
import { bufferOf, type FeatureTensor } from '../contract';
import type { AlignedSample } from './aligner';

export function sampleTensor(sample: AlignedSample, inputName?: string): FeatureTensor {
  const rows = sample.sequence ?? [sample.values];
  const width = sample.values.length;
  const data = new Float32Array(rows.length * width);
  rows.forEach((row, r) => data.set(row, r * width));
  const dims = sample.sequence ? [1, rows.length, width] : [1, width];
  return { data: bufferOf(data), type: 'float32', dims, ...(inputName ? { name: inputName } : {}) };
}
