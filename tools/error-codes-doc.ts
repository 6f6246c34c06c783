// Writes docs/error-codes.md from ERROR_CODES and the node catalogs: `node dist/tools/error-codes-doc.js`.
// test/unit/errors/error-codes.test.ts fails when the page and the table disagree, so rerun this after adding a code.
import fs from 'node:fs';
import path from 'node:path';
import { ERROR_CODES } from '../lib/errors';

const root = path.resolve(__dirname, '..', '..');
const catalogDir = path.join(root, 'locales', 'en-US');

/** code → the node types whose catalog has a text for it. */
export function catalogsByCode(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of fs.readdirSync(catalogDir).filter((f) => f.endsWith('.json')).sort()) {
    const type = file.replace(/\.json$/, '');
    const errors = JSON.parse(fs.readFileSync(path.join(catalogDir, file), 'utf8'))[type]?.errors ?? {};
    for (const code of Object.keys(errors)) found.set(code, [...(found.get(code) ?? []), type]);
  }
  return found;
}

export const COMMAND_LINE_ONLY = 'command line only';
/** Codes only the edge-mlops command (and the thin-edge sm-plugin) raises, so no node catalog needs them. */
export const COMMAND_LINE_CODES: readonly string[] = [
  'store-version-not-installed', 'store-version-exists', 'store-no-version', 'store-bad-bundle', 'store-bad-manifest', 'store-file-unreadable', 'store-not-writable',
  'store-locked', 'store-bad-update-list', 'store-check-parse', 'store-check-signature', 'store-check-load',
  'c8y-unauthorized', 'c8y-request-failed', 'c8y-timeout', 'c8y-unreachable', 'c8y-no-connection', 'no-devices', 'device-not-found', 'group-not-found', 'bad-software-name', 'bad-software-version', 'empty-file', 'software-version-exists', 'software-not-found', 'software-ambiguous', 'software-version-not-found',
  'not-a-flow-export', 'bad-flow-name', 'bad-flow-version', 'no-tab',
  'flow-id-collision', 'flow-start-failed', 'flow-version-not-found', 'node-red-unreachable', 'node-red-unauthorized', 'node-red-refused',
];

export function errorCodesPage(): string {
  const catalogs = catalogsByCode();
  const rows = Object.entries(ERROR_CODES).map(([code, meaning]) =>
    `| \`${code}\` | ${meaning.replace(/\|/g, '\\|')} | ${catalogs.get(code)?.join(', ') ?? COMMAND_LINE_ONLY} |`);
  return `# Error codes

Every error a node reports carries one of these codes in \`msg.error.code\` (what a Catch node sees), and every
\`PipelineError\` thrown by the library (\`lib/\`) has one in \`err.code\`. Codes are kebab-case and mean one thing each;
switch on the code, not on the text. The text comes from the node's locale catalog (\`locales/<lang>/<node>.json\`,
\`errors.<code>\`, filled in from \`err.details\`), else the library's English message (which is also what the
\`edge-mlops\` command prints).

The list is \`ERROR_CODES\` in \`lib/errors.ts\`; this page is written from it by \`node dist/tools/error-codes-doc.js\`,
and \`test/unit/errors/error-codes.test.ts\` checks that the page, the table and the catalogs agree. To add a code: add it to
\`ERROR_CODES\` and to the catalog of each node that reports it, then rewrite this page.

| Code | Meaning | Catalogs |
| --- | --- | --- |
${rows.join('\n')}
`;
}

if (require.main === module) fs.writeFileSync(path.join(root, 'docs', 'error-codes.md'), errorCodesPage());
