// One error vocabulary: every code is kebab-case, listed in docs/error-codes.md with its meaning, and has a
// catalog entry; no catalog or page names a code the library does not have.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ERROR_CODES, isErrorCode } from '../lib/errors';
import { repoRoot } from './helpers/flow';

const catalogDir = path.join(repoRoot, 'locales', 'en-US');
const catalogs = fs.readdirSync(catalogDir).filter((f) => f.endsWith('.json')).map((file) => {
  const type = file.replace(/\.json$/, '');
  const errors = (JSON.parse(fs.readFileSync(path.join(catalogDir, file), 'utf8'))[type]?.errors ?? {}) as Record<string, unknown>;
  return { type, errors };
});
const documented = new Map([...fs.readFileSync(path.join(repoRoot, 'docs', 'error-codes.md'), 'utf8')
  .matchAll(/^\| `([^`]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]));

describe('error codes', () => {
  const codes = Object.keys(ERROR_CODES);

  it('are kebab-case', () => {
    const bad = codes.filter((code) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(code));
    assert.deepEqual(bad, []);
  });

  it('are each listed in docs/error-codes.md with their meaning', () => {
    const missing = codes.filter((code) => !documented.has(code));
    assert.deepEqual(missing, [], 'codes missing from docs/error-codes.md');
    const unknown = [...documented.keys()].filter((code) => !isErrorCode(code));
    assert.deepEqual(unknown, [], 'docs/error-codes.md lists codes lib/errors.ts does not have');
    for (const code of codes) assert.equal(documented.get(code), ERROR_CODES[code as keyof typeof ERROR_CODES].replace(/\|/g, '\\|'), code);
  });

  it('each have a text in at least one node catalog, and catalogs name no other codes', () => {
    const missing = codes.filter((code) => !catalogs.some((catalog) => typeof catalog.errors[code] === 'string'));
    assert.deepEqual(missing, [], 'codes without a catalog text');
    const unknown = catalogs.flatMap(({ type, errors }) => Object.keys(errors).filter((code) => !isErrorCode(code)).map((code) => `${type}.errors.${code}`));
    assert.deepEqual(unknown, [], 'catalog entries for codes lib/errors.ts does not have');
  });
});
