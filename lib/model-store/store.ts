// The versioned model store: <root>/<name>/<version>/{model.onnx, manifest.json, …} and <root>/<name>/active.json.
// Reading needs no lock (every change is a rename); changing takes the store's lock file.
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors';
import { sha256Of } from './verify';
import { withLock } from './lock';
import {
  ACTIVE_FILE, JOURNAL_FILE, LOCK_FILE, MANIFEST_FILE, MODEL_FILE, installedVersions, listDirs, readActive, type InstalledVersion,
} from './layout';
import type { Manifest } from './manifest';
import { checkModelName, checkVersion } from './names';
import { Transaction, recover, type ActionOutcome, type StoreAction, type StoreStep } from './transaction';

export interface ModelStoreOptions {
  /** Versions kept per model (the active one is always kept). Default 3. */
  keep?: number;
  /** Allow a new version to change the input/output signature of the active one. Default false. */
  allowBreaking?: boolean;
  lockTimeoutMs?: number;
  verifyTimeoutMs?: number;
  /** Test hook: awaited at each step of a change (crash tests stop the process here). */
  onStep?(step: StoreStep, action: StoreAction): Promise<void> | void;
}

export interface ResolvedModel {
  name: string;
  version: string;
  dir: string;
  modelPath: string;
  manifest: Manifest;
}

export interface StoreModel {
  name: string;
  active?: string;
  versions: { version: string; installedAt: string; sha256: string; size: number }[];
}

export interface InstallOptions { activate?: boolean; allowBreaking?: boolean }

export class ModelStore {
  private readonly options: Required<Omit<ModelStoreOptions, 'onStep'>> & Pick<ModelStoreOptions, 'onStep'>;

  constructor(readonly root: string, options: ModelStoreOptions = {}) {
    this.options = {
      keep: Math.max(1, Math.floor(options.keep ?? 3)),
      allowBreaking: options.allowBreaking ?? false,
      lockTimeoutMs: options.lockTimeoutMs ?? 300000,
      verifyTimeoutMs: options.verifyTimeoutMs ?? 120000,
      onStep: options.onStep,
    };
  }

  /** The file whose replacement marks an activation: watch its folder to follow a model's active version. */
  activeRecordPath(name: string): string {
    return path.join(this.root, checkModelName(name), ACTIVE_FILE);
  }

  list(): StoreModel[] {
    return listDirs(this.root).map((name) => ({
      name,
      active: readActive(this.root, name)?.version,
      versions: installedVersions(this.root, name).map(({ version, manifest }) => ({
        version, installedAt: manifest.installedAt, sha256: manifest.sha256, size: manifest.size,
      })),
    })).filter((m) => m.versions.length > 0);
  }

  versions(name: string): InstalledVersion[] {
    return installedVersions(this.root, checkModelName(name));
  }

  active(name: string): ResolvedModel | undefined {
    const record = readActive(this.root, checkModelName(name));
    return record ? this.find(name, record.version) : undefined;
  }

  /** The active version of `name`, or the given one; a PipelineError says what is missing. */
  resolve(name: string, version?: string): ResolvedModel {
    checkModelName(name);
    if (version !== undefined) {
      const found = this.find(name, checkVersion(version));
      if (found) return found;
      const installed = this.versions(name).map((v) => v.version);
      throw new PipelineError('store-version-not-found', `version ${version} of model ${name} is not in the model store ${this.root}` +
        (installed.length ? ` (installed: ${installed.join(', ')})` : '') + '; install it first or pick an installed version',
      { name, version, store: this.root });
    }
    const active = this.active(name);
    if (active) return active;
    throw new PipelineError('store-model-not-found', `the model store ${this.root} has no active version of ${name}; ` +
      'install it (Cumulocity software type onnx-model, or edge-mlops sm-plugin install) or check the name', { name, store: this.root });
  }

  install(name: string, version: string, file: string | undefined, options: InstallOptions = {}): Promise<ActionOutcome> {
    return this.applyBatch([{ action: 'install', name, version, file, allowBreaking: options.allowBreaking, activate: options.activate }]).then((o) => o[0]!);
  }

  activate(name: string, version: string): Promise<ActionOutcome> {
    return this.applyBatch([{ action: 'install', name, version }]).then((o) => o[0]!);
  }

  remove(name: string, version?: string): Promise<ActionOutcome> {
    return this.applyBatch([{ action: 'remove', name, version }]).then((o) => o[0]!);
  }

  /** Applies every action or none (thin-edge's update-list): a failure restores the state before the batch. */
  async applyBatch(actions: StoreAction[]): Promise<ActionOutcome[]> {
    if (actions.length === 0) return [];
    for (const a of actions) {
      checkModelName(a.name);
      if (a.version !== undefined) checkVersion(a.version);
      if (a.action === 'install' && a.version === undefined) {
        throw new PipelineError('store-no-version', `installing ${a.name} needs a version (--module-version)`, { name: a.name });
      }
    }
    return this.locked(() => new Transaction(this.root, { ...this.options }).run(actions));
  }

  /** Rolls back what a killed writer left half done. Writers do this themselves before every change. */
  recover(): Promise<void> {
    return this.locked(() => undefined);
  }

  /** Consistency problems (empty when consistent): what the crash tests assert on. A pending journal is reported too. */
  check(): string[] {
    const problems: string[] = [];
    if (fs.existsSync(path.join(this.root, JOURNAL_FILE))) problems.push('an interrupted change awaits roll-back (journal present)');
    for (const name of listDirs(this.root)) {
      const record = readActive(this.root, name);
      if (record && !fs.existsSync(path.join(this.root, name, record.version, MANIFEST_FILE))) {
        problems.push(`${name}: active version ${record.version} is not installed`);
      }
      for (const version of listDirs(path.join(this.root, name))) {
        const dir = path.join(this.root, name, version);
        const manifest = readManifest(dir);
        if (!manifest) { problems.push(`${name}/${version}: no manifest.json`); continue; }
        const model = path.join(dir, MODEL_FILE);
        if (!fs.existsSync(model)) problems.push(`${name}/${version}: no model.onnx`);
        else if (sha256Of(fs.readFileSync(model)) !== manifest.sha256) problems.push(`${name}/${version}: model.onnx does not match its sha256`);
        for (const file of manifest.files ?? []) if (!fs.existsSync(path.join(dir, file))) problems.push(`${name}/${version}: ${file} missing`);
      }
    }
    return problems;
  }

  private find(name: string, version: string): ResolvedModel | undefined {
    const dir = path.join(this.root, name, version);
    const manifest = readManifest(dir);
    return manifest ? { name, version, dir, modelPath: path.join(dir, MODEL_FILE), manifest } : undefined;
  }

  private async locked<T>(work: () => Promise<T> | T): Promise<T> {
    try {
      fs.mkdirSync(this.root, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw new PipelineError('store-not-writable', `cannot create the model store ${this.root} (${(err as NodeJS.ErrnoException).code}); ` +
        'set EDGE_MLOPS_MODEL_STORE to a folder this user may write, or run as the store\'s owner', { store: this.root });
    }
    try {
      fs.accessSync(this.root, fs.constants.W_OK);
    } catch {
      throw new PipelineError('store-not-writable', `the model store ${this.root} is not writable by this user; ` +
        'set EDGE_MLOPS_MODEL_STORE to a folder this user may write, or run as the store\'s owner', { store: this.root });
    }
    return withLock(path.join(this.root, LOCK_FILE), this.options.lockTimeoutMs, () => {
      recover(this.root);
      return work();
    });
  }
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}
