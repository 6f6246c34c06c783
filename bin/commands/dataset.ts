// `edge-mlops dataset export <collect-dir> --out <dir>`: collected samples as a training data set.
import { parseArgs } from 'node:util';
import { exportDataset } from '../../lib/collect/export';
import { isPipelineError } from '../../lib/errors';
import { badSetting, numberSetting, positiveInteger } from '../../lib/settings';

export const DATASET_USAGE = `usage: edge-mlops dataset export <collect-dir> --out <dir> [--size 256] [--val-share 0.1] [--reviewed-only]

  Writes the training recipe's layout from an mlops-collect store: <dir>/train (and <dir>/val) with images/NNNNN.png,
  masks/NNNNN.png (8-bit grey, pixel = class index) and manifest.json, every picture resized to --size x --size
  (a multiple of 8; masks by nearest neighbour). The masks are the model's own predictions (pseudo-labels): review
  them, mark a sample reviewed with "reviewed": true in its sample.json, and use --reviewed-only.
  Then: /usr/bin/python3 training/train.py --data <dir> --init models/vqi-demo.onnx --steps N --out new.onnx`;

export async function datasetCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || rest.includes('--help')) {
    process.stdout.write(`${DATASET_USAGE}\n`);
    return sub ? 0 : 2;
  }
  let values;
  let positionals: string[];
  try {
    if (sub !== 'export') throw new Error(`unknown dataset command "${sub}"`);
    ({ values, positionals } = parseArgs({
      args: rest, allowPositionals: true,
      options: { out: { type: 'string' }, size: { type: 'string', default: '256' }, 'val-share': { type: 'string', default: '0' }, 'reviewed-only': { type: 'boolean', default: false } },
    }));
    if (positionals.length !== 1 || !values.out) throw new Error('give the collect directory and --out <dir>');
  } catch (err) {
    process.stderr.write(`edge-mlops dataset: ${(err as Error).message}\n\n${DATASET_USAGE}\n`);
    return 2;
  }
  try {
    const valShare = numberSetting(values['val-share'], '--val-share', 0, { min: 0 });
    if (valShare >= 1) throw badSetting('--val-share', 'share from 0 up to (not including) 1', values['val-share']);
    const size = positiveInteger(values.size, '--size', 256);
    const summary = await exportDataset({ collectDir: positionals[0]!, out: values.out, size, valShare, reviewedOnly: values['reviewed-only'] });
    for (const s of summary.skipped) process.stderr.write(`skipped ${s.sample}: ${s.reason}\n`);
    process.stdout.write(`${JSON.stringify({ out: values.out, train: summary.train, val: summary.val, skipped: summary.skipped.length, labels: summary.labels })}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`edge-mlops dataset export: ${isPipelineError(err) || err instanceof Error ? (err as Error).message : String(err)}\n`);
    return 1;
  }
}
