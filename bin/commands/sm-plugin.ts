// edge-mlops sm-plugin <command>: thin-edge's software-management plugin API for ONNX models (software type
// onnx-model), on the model store. thin-edge calls it through the executable `sm-plugin link` writes.
// Exit codes: 0 done, 1 usage (for update-list: "not supported", so update-list never exits 1), 2 failed.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isPipelineError } from '../../lib/errors';
import {
  ModelStore, SOFTWARE_TYPE, STORE_ENV, installAction, listLines, parseUpdateList, storeRoot, type ActionOutcome,
} from '../../lib/model-store';
import { replaceFileAtomic } from '../../lib/model-store/durable';

const KEEP_ENV = 'EDGE_MLOPS_MODEL_KEEP';
const LINK_MARKER = '# written by: edge-mlops sm-plugin link';

export const SM_PLUGIN_USAGE = `usage: edge-mlops sm-plugin <command> [args]

thin-edge software-management plugin for ONNX models (software type ${SOFTWARE_TYPE}), on the model store
$${STORE_ENV} (default /var/lib/edge-mlops/models). Keeps the last $${KEEP_ENV} versions per model (default 3).

  list                                          active version of every model: name<TAB>version
  prepare | finalize                            finish what a killed run left half done | nothing
  install NAME [--module-version V] [--file F]  install and activate V (bare .onnx, .tar.gz or .zip, by content);
                                                an installed V is re-activated without a file (rollback)
  remove NAME [--module-version V]              remove V (the active one rolls back to the previous), or all of NAME
  update-list                                   stdin: install/remove lines as thin-edge writes them; all or nothing
  link [--dir D] [--store S] [--keep N] [--remove]
                                                write (or remove) the executable D/${SOFTWARE_TYPE} thin-edge calls
                                                (D default /etc/tedge/sm-plugins; S and N are baked in, because
                                                thin-edge runs plugins through sudo, which resets the environment)

exit codes: 0 done, 1 usage, 2 failed (the reason is on stderr, which thin-edge shows in Cumulocity)`;

class UsageError extends Error {}

function openStore(): ModelStore {
  const keepText = process.env[KEEP_ENV];
  const keep = keepText ? Number(keepText) : 3;
  if (!Number.isInteger(keep) || keep < 1) throw new UsageError(`${KEEP_ENV} must be a whole number of at least 1, not "${keepText}"`);
  return new ModelStore(storeRoot(), { keep });
}

function moduleArgs(argv: string[]): { name: string; version?: string; file?: string } {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'module-version': { type: 'string' }, file: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError(`expected one module name, got ${positionals.length}`);
  return { name: positionals[0]!, version: values['module-version'] || undefined, file: values.file || undefined };
}

function report(outcome: ActionOutcome): string {
  const { action, result, active } = outcome;
  const what = `${action.name}${action.version ? ` ${action.version}` : ''}`;
  const after = active ? `; active: ${action.name} ${active}` : `; ${action.name} has no active version`;
  return `${SOFTWARE_TYPE}: ${result} ${what}${after}\n`;
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => { text += chunk; });
    process.stdin.once('end', () => resolve(text));
    process.stdin.once('error', reject);
  });
}

function link(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: {
    dir: { type: 'string' }, store: { type: 'string' }, keep: { type: 'string' }, remove: { type: 'boolean' },
  } });
  const dir = path.resolve(values.dir ?? '/etc/tedge/sm-plugins');
  const target = path.join(dir, SOFTWARE_TYPE);
  const ours = () => fs.existsSync(target) && fs.readFileSync(target, 'utf8').includes(LINK_MARKER);
  if (values.remove) {
    if (!fs.existsSync(target)) return 0;
    if (!ours()) throw new UsageError(`${target} was not written by edge-mlops sm-plugin link; remove it by hand if you mean to`);
    fs.rmSync(target);
    process.stdout.write(`removed ${target}\n`);
    return 0;
  }
  if (fs.existsSync(target) && !ours()) throw new UsageError(`${target} exists and was not written by edge-mlops; move it away first`);
  if (values.keep !== undefined && !/^[1-9]\d*$/.test(values.keep)) throw new UsageError('--keep takes a whole number of at least 1');
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const lines = ['#!/bin/sh', LINK_MARKER, `# thin-edge software-management plugin: software type ${SOFTWARE_TYPE} (ONNX models in the edge-mlops model store)`];
  if (values.store) lines.push(`: "\${${STORE_ENV}:=${path.resolve(values.store)}}"`, `export ${STORE_ENV}`);
  if (values.keep) lines.push(`: "\${${KEEP_ENV}:=${values.keep}}"`, `export ${KEEP_ENV}`);
  lines.push(`exec ${quote(process.execPath)} ${quote(path.resolve(__dirname, '..', 'edge-mlops.js'))} sm-plugin "$@"`, '');
  fs.mkdirSync(dir, { recursive: true });
  replaceFileAtomic(target, lines.join('\n'));
  fs.chmodSync(target, 0o755);
  process.stdout.write(`wrote ${target}\n`);
  return 0;
}

async function run(command: string, argv: string[]): Promise<number> {
  switch (command) {
    case 'list': {
      const store = openStore();
      process.stdout.write(listLines(store));
      return 0;
    }
    case 'prepare': {
      const store = openStore();
      // Only the store's owner can finish a killed run; a reader has nothing to prepare.
      if (fs.existsSync(store.root)) await store.recover().catch((err: unknown) => { if (!isPipelineError(err) || err.code !== 'store-not-writable') throw err; });
      return 0;
    }
    case 'finalize':
      return 0;
    case 'install': {
      const { name, version, file } = moduleArgs(argv);
      const store = openStore();
      const action = installAction(store, name, version, file);
      if (!action) {
        process.stdout.write(`${SOFTWARE_TYPE}: ${name} is installed; active: ${name} ${store.active(name)?.version}\n`);
        return 0;
      }
      process.stdout.write(report((await store.applyBatch([action]))[0]!));
      return 0;
    }
    case 'remove': {
      const { name, version, file } = moduleArgs(argv);
      if (file) throw new UsageError('remove takes no --file');
      process.stdout.write(report(await openStore().remove(name, version)));
      return 0;
    }
    case 'update-list': {
      const store = openStore();
      const outcomes = await store.applyBatch(parseUpdateList(await readStdin(), store));
      process.stdout.write(outcomes.map(report).join(''));
      return 0;
    }
    case 'link':
      return link(argv);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

export async function smPluginCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    (command ? process.stdout : process.stderr).write(`${SM_PLUGIN_USAGE}\n`);
    return command ? 0 : 1;
  }
  try {
    return await run(command, rest);
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`${SOFTWARE_TYPE} ${command}: ${(err as Error).message}\n`);
    if (usage && command !== 'update-list') {
      process.stderr.write(`\n${SM_PLUGIN_USAGE}\n`);
      return 1;
    }
    return 2;
  }
}
