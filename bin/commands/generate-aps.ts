// `edge-mlops generate-aps`: writes the seeded APS-shaped sensor data set for training/train_aps.py.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { APS_FEATURES, APS_LABELS, APS_SPLITS, generateAps, type ApsSplit } from '../../lib/aps';
import { integerSetting } from '../../lib/settings';

const USAGE = `usage: edge-mlops generate-aps --out <dir> [--seed 14]
  Writes <dir>/{train,test}.features.f32 (rows × 171 float32, little-endian, NaN = missing),
  <dir>/{train,test}.labels.u8 (0 normal, 1 failure) and <dir>/aps.json (feature names, labels, rows, seed).`;

export async function generateApsCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { out: { type: 'string' }, seed: { type: 'string', default: '14' }, help: { type: 'boolean', default: false } } }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  if (!values.out) { process.stderr.write(`--out is required\n${USAGE}\n`); return 2; }
  let seed: number;
  try {
    seed = integerSetting(values.seed, '--seed', 14);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  fs.mkdirSync(values.out, { recursive: true });
  const summary: Record<string, unknown> = { generator: 'edge-mlops generate-aps (lib/aps)', seed, features: APS_FEATURES, labels: APS_LABELS };
  for (const split of Object.keys(APS_SPLITS) as ApsSplit[]) {
    const data = generateAps(split, seed);
    fs.writeFileSync(path.join(values.out, `${split}.features.f32`), Buffer.from(data.features.buffer, data.features.byteOffset, data.features.byteLength));
    fs.writeFileSync(path.join(values.out, `${split}.labels.u8`), data.labels);
    const failures = data.labels.reduce((a, b) => a + b, 0);
    let missing = 0;
    for (const v of data.features) if (Number.isNaN(v)) missing++;
    summary[split] = { rows: data.rows, failures, missingShare: missing / data.features.length };
    process.stdout.write(`${split}: ${data.rows} rows, ${failures} failures, ${(100 * missing / data.features.length).toFixed(2)}% missing values\n`);
  }
  fs.writeFileSync(path.join(values.out, 'aps.json'), `${JSON.stringify(summary, null, 1)}\n`);
  return 0;
}
