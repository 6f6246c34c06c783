// `npm run validate`: the Flow Library scorecard rules that can be checked offline. Exit 1 on any failure.
import path from 'node:path';
import { checkPackage } from './scorecard';

const root = path.resolve(__dirname, '..', '..');
const results = checkPackage(root, { online: process.argv.includes('--online') });
const mark = { pass: '✔', fail: '✘', skipped: '-' } as const;
for (const r of results) console.log(`${mark[r.outcome]} ${r.id} ${r.title}: ${r.detail}`);
const failed = results.filter((r) => r.outcome === 'fail').length;
const passed = results.filter((r) => r.outcome === 'pass').length;
console.log(`scorecard: ${passed} passed, ${failed} failed, ${results.length - passed - failed} not checkable offline`);
process.exitCode = failed ? 1 : 0;
