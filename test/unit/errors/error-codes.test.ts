// One error vocabulary: every code is kebab-case, listed in docs/error-codes.md with its meaning, and has a
// catalog entry (or is marked command line only); no catalog or page names a code the library does not have.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ERROR_CODES, isErrorCode } from '../../../lib/errors';
import { catalogsByCode, COMMAND_LINE_CODES, COMMAND_LINE_ONLY, errorCodesPage } from '../../../tools/error-codes-doc';
import { repoRoot } from '../../helpers/flow';

const page = fs.readFileSync(path.join(repoRoot, 'docs', 'error-codes.md'), 'utf8');
const documented = new Map([...page.matchAll(/^\| `([^`]+)` \| (.+) \| ([^|]+) \|$/gm)].map((m) => [m[1]!, m[3]!.trim()]));

describe('error codes', () => {
  const codes = Object.keys(ERROR_CODES);

  it('are kebab-case', () => {
    assert.deepEqual(codes.filter((code) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(code)), []);
  });

  it('are each listed in docs/error-codes.md with their meaning (rewrite it with node dist/tools/error-codes-doc.js)', () => {
    assert.deepEqual(codes.filter((code) => !documented.has(code)), [], 'codes missing from the page');
    assert.deepEqual([...documented.keys()].filter((code) => !isErrorCode(code)), [], 'the page lists codes lib/errors.ts does not have');
    assert.equal(page, errorCodesPage());
  });

  it('each have a text in a node catalog unless only the command line raises them, and catalogs name no other codes', () => {
    const catalogs = catalogsByCode();
    assert.deepEqual(codes.filter((code) => !catalogs.has(code)), COMMAND_LINE_CODES, 'codes without a catalog text');
    for (const code of COMMAND_LINE_CODES) assert.equal(documented.get(code), COMMAND_LINE_ONLY, code);
    const unknown = [...catalogs].filter(([code]) => !isErrorCode(code)).map(([code, types]) => `${types.join(', ')}: errors.${code}`);
    assert.deepEqual(unknown, [], 'catalog entries for codes lib/errors.ts does not have');
  });
});
