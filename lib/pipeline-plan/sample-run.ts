// One run of a model on a bundled sample picture, for what its shapes and metadata do not tell: the value range of
// each output (all within 0…1: probabilities; negative values: logits). On a worker thread, like every inference.
import fs from 'node:fs/promises';
import path from 'node:path';
import { elementView } from '../element-types';
import { ingestImage } from '../image';
import { ModelHost } from '../inference';
import { PACKAGE_ROOT } from '../inference/model-source';
import { DEFAULT_PREPROCESS, imageToTensor } from '../tensor';
import type { PipelinePlan, ValueRange } from './plan';

export const SAMPLE_PICTURE = path.join(PACKAGE_ROOT, 'samples', 'tower-healthy.jpg');

export async function sampleOutputRanges(modelPath: string, options: NonNullable<PipelinePlan['sampleOptions']>, outputs: readonly string[], picture = SAMPLE_PICTURE): Promise<Record<string, ValueRange>> {
  const { image } = await ingestImage(await fs.readFile(picture));
  const tensor = await imageToTensor(image, { ...DEFAULT_PREPROCESS, ...options });
  const host = new ModelHost({
    modelPath, workers: 1, warmup: false,
    session: { intraOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
  });
  host.register('pipeline-plan');
  try {
    const result = await host.run({ [options.name]: { data: tensor.data, type: tensor.type, dims: tensor.dims } }, outputs);
    const ranges: Record<string, ValueRange> = {};
    for (const name of outputs) {
      const output = result.outputs[name];
      if (!output || (output.type !== 'float32' && output.type !== 'float64')) continue;
      let min = Infinity;
      let max = -Infinity;
      for (const value of elementView(output.data, output.type)) {
        if (value < min) min = value;
        if (value > max) max = value;
      }
      if (Number.isFinite(min) && Number.isFinite(max)) ranges[name] = { min, max };
    }
    return ranges;
  } finally {
    await host.close();
  }
}
