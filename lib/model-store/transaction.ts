// One change of the store (a single install/activate/remove, or a whole update-list batch) as a transaction.
// Before anything changes, a journal records the active versions it will touch and the version folders it creates;
// deleting the journal is the commit. A writer that finds a journal (its predecessor was killed) rolls it back, so
// after a crash at any moment the store holds the old state or the new one. Deletions wait until after the commit.
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors';
import { readArtefact } from './archive';
import { fsyncDir, readJson, removeDirAtomic, renameDurable, replaceFileAtomic, tempName, writeDurable } from './durable';
import {
  ACTIVE_FILE, JOURNAL_FILE, MANIFEST_FILE, MODEL_FILE, installedVersions, isOwnEntry, listDirs, readActive, type ActiveRecord,
} from './layout';
import { parseBundleManifest, type Manifest } from './manifest';
import { checkLoads, checkSha256, checkSignature, parseModel, sha256Of } from './verify';

export type StoreStep = 'journal' | 'writing' | 'staged' | 'verified' | 'moved' | 'activated' | 'committed' | 'pruned';

export type StoreAction =
  | { action: 'install'; name: string; version: string; file?: string; allowBreaking?: boolean; /** Default true. */ activate?: boolean }
  | { action: 'remove'; name: string; version?: string };

export interface TransactionOptions {
  keep: number;
  verifyTimeoutMs: number;
  allowBreaking: boolean;
  onStep?(step: StoreStep, action: StoreAction): Promise<void> | void;
}

interface Journal { pid: number; startedAt: string; before: Record<string, ActiveRecord | null>; created: string[] }

export interface ActionOutcome { action: StoreAction; result: 'installed' | 'activated' | 'removed' | 'rolled-back' | 'absent'; active?: string }

/** Rolls back an interrupted transaction and sweeps staging/trash left by killed writers. Call with the lock held. */
export function recover(root: string): void {
  const journalPath = path.join(root, JOURNAL_FILE);
  const journal = readJson<Journal>(journalPath);
  if (journal) {
    // Active records first, so that no reader ever sees an active version whose folder is gone.
    for (const [name, record] of Object.entries(journal.before)) writeActive(root, name, record ?? undefined);
    for (const created of journal.created) removeDirAtomic(path.join(root, created));
    for (const name of Object.keys(journal.before)) removeIfEmpty(root, name);
    fs.rmSync(journalPath, { force: true });
    fsyncDir(root);
  }
  for (const dir of [root, ...listDirs(root).map((n) => path.join(root, n))]) {
    for (const entry of safeReaddir(dir)) {
      if (/^\.(staging|trash|tmp)-/.test(entry)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
  }
}

function safeReaddir(dir: string): string[] {
  try { return fs.readdirSync(dir); } catch { return []; }
}

function writeActive(root: string, name: string, record: ActiveRecord | undefined): void {
  const file = path.join(root, name, ACTIVE_FILE);
  if (record) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    replaceFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  } else if (fs.existsSync(file)) {
    fs.rmSync(file);
    fsyncDir(path.dirname(file));
  }
}

function removeIfEmpty(root: string, name: string): void {
  const dir = path.join(root, name);
  if (fs.existsSync(dir) && safeReaddir(dir).every(isOwnEntry)) removeDirAtomic(dir);
}

export class Transaction {
  private readonly journal: Journal = { pid: process.pid, startedAt: new Date().toISOString(), before: {}, created: [] };
  private readonly journalPath: string;
  /** Version folders (name/version) or whole models (name) to delete after the commit. */
  private readonly deleteAfterCommit = new Set<string>();
  private readonly touched = new Set<string>();

  constructor(private readonly root: string, private readonly options: TransactionOptions) {
    this.journalPath = path.join(root, JOURNAL_FILE);
  }

  async run(actions: StoreAction[]): Promise<ActionOutcome[]> {
    const outcomes: ActionOutcome[] = [];
    fs.mkdirSync(this.root, { recursive: true, mode: 0o755 });
    this.saveJournal();
    try {
      for (const action of actions) {
        await this.step('journal', action);
        outcomes.push(action.action === 'install' ? await this.install(action) : await this.remove(action));
      }
    } catch (err) {
      recover(this.root);
      throw err;
    }
    fs.rmSync(this.journalPath);
    fsyncDir(this.root);
    const last = actions[actions.length - 1]!;
    await this.step('committed', last);
    for (const target of this.deleteAfterCommit) removeDirAtomic(path.join(this.root, target));
    for (const name of this.touched) { this.prune(name); removeIfEmpty(this.root, name); }
    await this.step('pruned', last);
    return outcomes;
  }

  private async step(step: StoreStep, action: StoreAction): Promise<void> {
    await this.options.onStep?.(step, action);
  }

  private saveJournal(): void {
    replaceFileAtomic(this.journalPath, JSON.stringify(this.journal));
  }

  private isInstalled(name: string, version: string): boolean {
    return !this.deleteAfterCommit.has(name) && !this.deleteAfterCommit.has(`${name}/${version}`)
      && fs.existsSync(path.join(this.root, name, version, MANIFEST_FILE));
  }

  private installed(name: string) {
    return installedVersions(this.root, name).filter((v) => this.isInstalled(name, v.version));
  }

  private setActive(name: string, record: ActiveRecord | undefined): void {
    if (!(name in this.journal.before)) {
      this.journal.before[name] = readActive(this.root, name) ?? null;
      this.saveJournal();
    }
    this.touched.add(name);
    writeActive(this.root, name, record);
  }

  private activate(name: string, version: string): void {
    const previous = readActive(this.root, name);
    if (previous?.version === version) return;
    const history = (previous ? [...previous.history, previous.version] : []).filter((v) => v !== version).slice(-20);
    this.setActive(name, { version, activatedAt: new Date().toISOString(), history });
  }

  private async install(action: Extract<StoreAction, { action: 'install' }>): Promise<ActionOutcome> {
    const { name, version } = action;
    const versionDir = path.join(this.root, name, version);
    this.deleteAfterCommit.delete(name);
    this.deleteAfterCommit.delete(`${name}/${version}`);
    if (fs.existsSync(path.join(versionDir, MANIFEST_FILE))) {
      // An installed version is immutable: re-installing it (with or without a file) re-activates it.
      const manifest = readJson<Manifest>(path.join(versionDir, MANIFEST_FILE))!;
      if (action.file) {
        const model = readArtefact(readFile(action.file)).files;
        const bytes = model.get(MODEL_FILE) ?? [...model].find(([n]) => n.endsWith('.onnx'))?.[1];
        if (bytes && sha256Of(bytes) !== manifest.sha256) {
          throw new PipelineError('store-version-exists', `${name} ${version} is already installed with different content ` +
            `(sha256 ${manifest.sha256.slice(0, 12)}…); publish the new model under a new version number`, { name, version });
        }
      }
      if (action.activate === false) return { action, result: 'installed', active: readActive(this.root, name)?.version };
      this.activate(name, version);
      await this.step('activated', action);
      return { action, result: 'activated', active: version };
    }
    if (!action.file) {
      throw new PipelineError('store-version-not-installed', `${name} ${version} is not in the model store and no file was given; ` +
        'install it with a file (in Cumulocity: a software version with a binary)', { name, version });
    }
    const stage = await this.stage(action, action.file);
    await this.step('staged', action);
    const manifest = await this.verify(action, stage);
    writeDurable(path.join(stage, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    fsyncDir(stage);
    await this.step('verified', action);
    this.journal.created.push(`${name}/${version}`);
    this.saveJournal();
    renameDurable(stage, versionDir);
    this.touched.add(name);
    await this.step('moved', action);
    if (action.activate === false) return { action, result: 'installed', active: readActive(this.root, name)?.version };
    this.activate(name, version);
    await this.step('activated', action);
    return { action, result: 'installed', active: version };
  }

  /** Unpacks the artefact into a staging folder next to its final place (same file system: the move is a rename). */
  private async stage(action: Extract<StoreAction, { action: 'install' }>, file: string): Promise<string> {
    const { files, format } = readArtefact(readFile(file));
    let modelName = files.has(MODEL_FILE) ? MODEL_FILE : undefined;
    if (!modelName) {
      const candidates = [...files.keys()].filter((n) => n.endsWith('.onnx'));
      if (candidates.length !== 1) {
        throw new PipelineError('store-bad-bundle', `the ${format} bundle must hold model.onnx (found ${[...files.keys()].join(', ') || 'no files'}); ` +
          'put the model at the top of the bundle as model.onnx', { format });
      }
      modelName = candidates[0]!;
    }
    const modelDir = path.join(this.root, action.name);
    if (!fs.existsSync(modelDir)) {
      fs.mkdirSync(modelDir, { recursive: true, mode: 0o755 });
      fsyncDir(this.root);
    }
    const stage = path.join(modelDir, tempName('.staging-'));
    fs.mkdirSync(stage, { mode: 0o755 });
    for (const [relative, bytes] of files) {
      const target = path.join(stage, relative === modelName ? MODEL_FILE : relative);
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
      writeDurable(target, bytes);
      await this.step('writing', action); // crash tests stop here: a half-written staging folder
    }
    fs.writeFileSync(path.join(stage, '.source'), JSON.stringify({ source: file, format }));
    return stage;
  }

  private async verify(action: Extract<StoreAction, { action: 'install' }>, stage: string): Promise<Manifest> {
    const { name, version } = action;
    const source = JSON.parse(fs.readFileSync(path.join(stage, '.source'), 'utf8')) as { source: string; format: Manifest['format'] };
    fs.rmSync(path.join(stage, '.source'));
    const read = (file: string) => (fs.existsSync(path.join(stage, file)) ? fs.readFileSync(path.join(stage, file), 'utf8') : undefined);
    const bundle = parseBundleManifest(read(MANIFEST_FILE), read('labels.txt'));
    const modelPath = path.join(stage, MODEL_FILE);
    const bytes = fs.readFileSync(modelPath);
    const info = parseModel(bytes, `${name} ${version}`);
    const sha256 = sha256Of(bytes);
    checkSha256(sha256, bundle.sha256);
    const current = readActive(this.root, name);
    const activeManifest = current && this.isInstalled(name, current.version)
      ? readJson<Manifest>(path.join(this.root, name, current.version, MANIFEST_FILE)) : undefined;
    checkSignature(activeManifest, info, action.allowBreaking || this.options.allowBreaking || bundle.allowBreakingChange === true);
    await checkLoads(modelPath, info, this.options.verifyTimeoutMs);
    const files = listFiles(stage).filter((f) => f !== MANIFEST_FILE).concat(MANIFEST_FILE).sort();
    return {
      ...bundle, name, version, sha256, size: bytes.length, source: source.source, format: source.format,
      installedAt: new Date().toISOString(), files, inputs: info.inputs, outputs: info.outputs,
    };
  }

  private async remove(action: Extract<StoreAction, { action: 'remove' }>): Promise<ActionOutcome> {
    const { name, version } = action;
    const current = readActive(this.root, name);
    if (version === undefined) {
      if (!fs.existsSync(path.join(this.root, name))) return { action, result: 'absent' };
      if (current) this.setActive(name, undefined);
      this.deleteAfterCommit.add(name);
      this.touched.add(name);
      return { action, result: 'removed' };
    }
    if (!this.isInstalled(name, version)) return { action, result: 'absent', active: current?.version };
    this.touched.add(name);
    this.deleteAfterCommit.add(`${name}/${version}`);
    if (current?.version !== version) return { action, result: 'removed', active: current?.version };
    // Removing the active version rolls back: to the version active before it, else the newest other one.
    const others = this.installed(name).map((v) => v.version);
    const target = [...current.history].reverse().find((v) => others.includes(v)) ?? others[others.length - 1];
    if (!target) {
      this.setActive(name, undefined);
      return { action, result: 'removed' };
    }
    this.setActive(name, { version: target, activatedAt: new Date().toISOString(), history: current.history.filter((v) => v !== target) });
    await this.step('activated', action);
    return { action, result: 'rolled-back', active: target };
  }

  /** Keeps the newest `keep` versions by install time, and the active one whatever its age. */
  private prune(name: string): void {
    const active = readActive(this.root, name)?.version;
    const versions = installedVersions(this.root, name);
    const keep = new Set(versions.slice(-Math.max(1, this.options.keep)).map((v) => v.version));
    for (const v of versions) if (!keep.has(v.version) && v.version !== active) removeDirAtomic(v.dir);
  }
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new PipelineError('store-file-unreadable', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
      'check the path given with --file', { path: file });
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    (e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}
