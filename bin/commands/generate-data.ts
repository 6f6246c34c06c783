// `edge-mlops generate-data`: writes one split of the synthetic power-line inspection data set.
import { parseArgs } from 'node:util';
import { isPipelineError } from '../../lib/errors';
import { DEFAULT_SEEDS, generateDataset, SPLITS } from '../../lib/synthetic/dataset';
import { enumSetting, integerSetting, positiveInteger } from '../../lib/settings';

const USAGE = `usage: edge-mlops generate-data --out <dir> [--split train|val|test] [--count N] [--size 256] [--seed S]
  Writes <dir>/<split>/images/*.png, masks/*.png (grey, pixel = class index) and manifest.json.
  Default seeds: train ${DEFAULT_SEEDS.train}, val ${DEFAULT_SEEDS.val}, test ${DEFAULT_SEEDS.test}.`;

export async function generateDataCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        split: { type: 'string', default: 'train' },
        count: { type: 'string', default: '100' },
        size: { type: 'string', default: '256' },
        seed: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.out) {
    process.stderr.write(`--out is required\n${USAGE}\n`);
    return 2;
  }
  try {
    const split = enumSetting(values.split, '--split', SPLITS, 'train');
    const seed = integerSetting(values.seed, '--seed', DEFAULT_SEEDS[split]);
    const started = Date.now();
    const manifest = await generateDataset(
      { out: values.out, split, count: positiveInteger(values.count, '--count', 100), size: positiveInteger(values.size, '--size', 256), seed },
      (done) => { if (!values.quiet && done % 100 === 0) process.stdout.write(`${done} samples\n`); },
    );
    if (!values.quiet) {
      process.stdout.write(`wrote ${manifest.count} ${split} samples (seed ${seed}) to ${values.out}/${split} in ${Date.now() - started} ms\n`);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`generate-data: ${isPipelineError(err) || err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
