import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_NAME, PACKAGE_ROOT, packageManifest } from '../../../lib/package-root';
import { formatBytes, formatMs } from '../../../lib/util/format';
import { mean, median, quantile } from '../../../lib/util/stats';

describe('util: stats', () => {
  it('takes the middle value of an odd count and the mean of the two middle ones of an even count', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('interpolates quantiles between ranks', () => {
    assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
    assert.equal(quantile([0, 10], 0.75), 7.5);
  });

  it('gives NaN for the quantile of no values', () => {
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });

  it('does not sort the caller\'s list', () => {
    const values = [3, 1, 2];
    median(values);
    assert.deepEqual(values, [3, 1, 2]);
  });

  it('averages', () => {
    assert.equal(mean([1, 2, 6]), 3);
  });
});

describe('util: format', () => {
  it('names binary units as such', () => {
    assert.deepEqual([formatBytes(512), formatBytes(12_000), formatBytes(3 * 1048576)], ['512 bytes', '11.7 KiB', '3.00 MiB']);
  });

  it('shows milliseconds with one decimal below 10 and whole above', () => {
    assert.deepEqual([formatMs(0.44), formatMs(12.4), formatMs(-1)], ['0.4', '12', '?']);
  });
});

describe('package root', () => {
  it('is the folder of this package\'s package.json', () => {
    assert.equal(JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).name, PACKAGE_NAME);
    assert.ok(fs.existsSync(path.join(PACKAGE_ROOT, 'models')));
  });

  it('reads the manifest with the node types', () => {
    assert.equal(packageManifest().name, PACKAGE_NAME);
    assert.ok(Object.keys(packageManifest()['node-red']?.nodes ?? {}).includes('mlops-infer'));
  });
});
